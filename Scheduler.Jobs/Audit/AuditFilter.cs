namespace Scheduler.Jobs.Audit;

/// <summary>Filters of the audit trail; null means "any". <paramref name="From"/> is inclusive, <paramref name="To"/> exclusive.</summary>
public sealed record AuditFilter(
    string? Action = null,
    string? Actor = null,
    string? JobType = null,
    string? TargetId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null);
