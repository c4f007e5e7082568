namespace Scheduler.Jobs.Audit;

/// <summary>
/// One operator action to record. <paramref name="Action"/>, <paramref name="TargetType"/> and
/// <paramref name="Outcome"/> take the constants in <c>Scheduler.Contracts.Api</c> (<c>AuditActions</c>,
/// <c>AuditTargetTypes</c>, <c>AuditOutcomes</c>). <paramref name="Details"/> is stored as JSON
/// (camelCase, as the API answers); null stores nothing.
/// </summary>
public sealed record AuditRecord(
    string Action,
    string Actor,
    string TargetType,
    string? TargetId,
    string? JobType,
    string? RemoteAddress,
    string Outcome,
    object? Details = null);
