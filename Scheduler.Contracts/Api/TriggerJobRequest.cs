using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace Scheduler.Contracts.Api;

/// <summary>Body of <c>POST /api/jobs/trigger</c>.</summary>
/// <param name="JobType">One of the catalog's job types, for example <c>crawl_pending</c>.</param>
/// <param name="TriggeredBy">Who the caller says asked for the run. The token decides <c>startedBy</c>; a different value here is ignored and kept in the audit row.</param>
/// <param name="Parameters">Optional parameters for this run, stored with the execution.</param>
/// <param name="RunAt">
/// Optional: run it later, at this instant (ISO 8601 with an offset, e.g. <c>2026-12-01T09:30:00Z</c>), in the future and
/// at most <c>Runs:MaxDelay</c> (90 days) ahead. The run is recorded at once as <c>scheduled</c>.
/// </param>
/// <param name="Delay">Optional: run it later, after this ISO 8601 duration (e.g. <c>PT30S</c>, <c>PT2H</c>). Not with <paramref name="RunAt"/>.</param>
public sealed record TriggerJobRequest(
    [property: Required(ErrorMessage = "Required. GET /api/jobs/types lists the valid types.")] string? JobType = null,
    [property: StringLength(TriggerJobRequest.MaxTriggeredByLength, ErrorMessage = "At most 200 characters."), NoNul] string? TriggeredBy = null,
    [property: StorableParameters] JsonElement? Parameters = null,
    [property: StringLength(RunLater.MaxTextLength, ErrorMessage = "At most 64 characters.")] string? RunAt = null,
    [property: StringLength(RunLater.MaxTextLength, ErrorMessage = "At most 64 characters.")] string? Delay = null)
{
    /// <summary>The longest <see cref="TriggeredBy"/> accepted.</summary>
    public const int MaxTriggeredByLength = 200;
}

/// <summary>Answer to <c>POST /api/jobs/trigger</c> (202 Accepted, with <c>Location: /api/jobs/{id}</c>).</summary>
/// <param name="JobId">The execution's id (the name the previous service's docs used).</param>
/// <param name="Id">The same id (the name the dashboard reads).</param>
/// <param name="JobType">The job type.</param>
/// <param name="Status">The execution's status when the answer was written; <c>pending</c> until a node picks it up, <c>scheduled</c> for a run later.</param>
/// <param name="StartedAt">When it started, or null while pending.</param>
/// <param name="CreatedAt">When the execution was recorded.</param>
/// <param name="ScheduledFor">For a run later (<c>runAt</c> or <c>delay</c>), when it is due; null for a run now.</param>
public sealed record TriggerJobResponse(
    Guid JobId,
    Guid Id,
    string JobType,
    ExecutionStatus Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ScheduledFor = null);

/// <summary>Optional body of <c>POST /api/jobs/{id}/cancel</c> and <c>POST /api/jobs/{id}/retry</c>.</summary>
/// <param name="RequestedBy">Who the caller says asks. The token decides; a different value here is ignored and kept in the audit row.</param>
/// <param name="Reason">Why, for the audit trail.</param>
public sealed record ExecutionActionRequest([property: NoNul] string? RequestedBy = null, [property: NoNul] string? Reason = null);

/// <summary>Optional body of <c>POST /api/jobs/{id}/retry</c>.</summary>
/// <param name="RequestedBy">Who the caller says asks. The token decides; a different value here is ignored and kept in the audit row.</param>
/// <param name="Reason">Why, for the audit trail.</param>
/// <param name="RunAt">Optional: run the retry later, at this instant (as in <see cref="TriggerJobRequest.RunAt"/>).</param>
/// <param name="Delay">Optional: run the retry later, after this ISO 8601 duration (as in <see cref="TriggerJobRequest.Delay"/>).</param>
public sealed record RetryJobRequest(
    [property: NoNul] string? RequestedBy = null,
    [property: NoNul] string? Reason = null,
    [property: StringLength(RunLater.MaxTextLength, ErrorMessage = "At most 64 characters.")] string? RunAt = null,
    [property: StringLength(RunLater.MaxTextLength, ErrorMessage = "At most 64 characters.")] string? Delay = null);
