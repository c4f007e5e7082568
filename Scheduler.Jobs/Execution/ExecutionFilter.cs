using Scheduler.Contracts;

namespace Scheduler.Jobs.Execution;

/// <summary>Filters of the execution history; null means "any".</summary>
public sealed record ExecutionFilter(
    string? JobType = null,
    ExecutionStatus? Status = null,
    string? StartedBy = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Schedule = null,
    string? Reason = null);
