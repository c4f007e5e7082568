using System.ComponentModel.DataAnnotations;

namespace Scheduler.Contracts.Api;

/// <summary>Body of <c>POST /api/jobs/retry-failed</c>: which failed runs to retry, or (<see cref="DryRun"/>) only list.</summary>
/// <param name="Type">Optional: only runs of this job type.</param>
/// <param name="From">Required: runs that ended at or after this instant (ISO 8601).</param>
/// <param name="To">Required: runs that ended before this instant; later than <paramref name="From"/>.</param>
/// <param name="Reason">Optional: only runs whose normalised error (the <c>reason</c> of <c>GET /api/jobs/stats</c>'s failure reasons) is exactly this.</param>
/// <param name="DryRun">List what would be retried and change nothing.</param>
/// <param name="Limit">Optional: at most this many runs (1 to <c>Runs:BulkRetryLimit</c>, which is also the default).</param>
public sealed record RetryFailedRequest(
    [property: StringLength(200, ErrorMessage = "At most 200 characters.")] string? Type = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    [property: StringLength(BulkLimits.MaxReasonLength, ErrorMessage = "At most 200 characters (a normalised reason is never longer)."), NoNul] string? Reason = null,
    bool DryRun = false,
    int? Limit = null) : IValidatableObject
{
    /// <summary>Both ends given, <see cref="To"/> later than <see cref="From"/>; <see cref="Limit"/> positive when given.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (From is null)
        {
            yield return new ValidationResult("Required (ISO 8601).", ["from"]);
        }

        if (To is null)
        {
            yield return new ValidationResult("Required (ISO 8601).", ["to"]);
        }
        else if (From is { } from && from >= To)
        {
            yield return new ValidationResult("Must be later than 'from'.", ["to"]);
        }

        if (Limit is < 1)
        {
            yield return new ValidationResult("Must be at least 1.", ["limit"]);
        }
    }
}

/// <summary>Body of <c>POST /api/jobs/cancel-pending</c>: which waiting runs to cancel, or (<see cref="DryRun"/>) only list.</summary>
/// <param name="Type">Optional: only runs of this job type.</param>
/// <param name="DryRun">List what would be cancelled and change nothing.</param>
/// <param name="Limit">Optional: at most this many runs (1 to <c>Runs:BulkRetryLimit</c>, which is also the default).</param>
public sealed record CancelPendingRequest(
    [property: StringLength(200, ErrorMessage = "At most 200 characters.")] string? Type = null,
    bool DryRun = false,
    int? Limit = null) : IValidatableObject
{
    /// <summary><see cref="Limit"/> positive when given.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Limit is < 1)
        {
            yield return new ValidationResult("Must be at least 1.", ["limit"]);
        }
    }
}

/// <summary>Sizes the bulk operations share.</summary>
public static class BulkLimits
{
    /// <summary>The longest normalised failure reason (what <c>scheduler_failure_reason</c> keeps).</summary>
    public const int MaxReasonLength = 200;
}

/// <summary>One failed run a bulk retry matched, and what became of it.</summary>
/// <param name="Id">The failed execution.</param>
/// <param name="JobType">Its job type.</param>
/// <param name="CompletedAt">When it ended.</param>
/// <param name="Reason">Its normalised error.</param>
/// <param name="RetryId">The new execution retrying it (retry_of = <paramref name="Id"/>); null in a dry run or when it could not be retried.</param>
/// <param name="Error">Why it could not be retried (e.g. its type already has a run pending or running); null otherwise.</param>
/// <param name="ActiveExecutionId">With a busy type: the run that holds it.</param>
public sealed record RetryFailedItem(
    Guid Id,
    string JobType,
    DateTimeOffset CompletedAt,
    string Reason,
    Guid? RetryId = null,
    string? Error = null,
    Guid? ActiveExecutionId = null);

/// <summary>Answer to <c>POST /api/jobs/retry-failed</c>.</summary>
/// <param name="DryRun">Whether this only listed the runs.</param>
/// <param name="Matched">How many failed, not yet retried runs match the filter in all.</param>
/// <param name="Items">The runs taken this call (at most the limit), oldest ending first.</param>
/// <param name="Retried">How many were retried (0 in a dry run).</param>
/// <param name="NotRetried">How many could not be (each item's <c>error</c> says why); they stay candidates for a later call.</param>
/// <param name="Remaining">Matching runs beyond the limit, left for another call.</param>
/// <param name="Truncated">Whether there are such runs.</param>
public sealed record RetryFailedResponse(
    bool DryRun,
    int Matched,
    IReadOnlyList<RetryFailedItem> Items,
    int Retried,
    int NotRetried,
    int Remaining,
    bool Truncated);

/// <summary>One waiting run a bulk cancel matched, and what became of it.</summary>
/// <param name="Id">The execution.</param>
/// <param name="JobType">Its job type.</param>
/// <param name="Status">Its status when matched: <c>pending</c> or <c>scheduled</c>.</param>
/// <param name="ScheduledFor">For a scheduled run, when it was due.</param>
/// <param name="CreatedAt">When it was recorded.</param>
/// <param name="Cancelled">Whether it was cancelled (false in a dry run).</param>
/// <param name="Error">Why it was not (it started meanwhile, or ended); null otherwise.</param>
public sealed record CancelPendingItem(
    Guid Id,
    string JobType,
    ExecutionStatus Status,
    DateTimeOffset? ScheduledFor,
    DateTimeOffset CreatedAt,
    bool Cancelled = false,
    string? Error = null);

/// <summary>Answer to <c>POST /api/jobs/cancel-pending</c>.</summary>
/// <param name="DryRun">Whether this only listed the runs.</param>
/// <param name="Matched">How many pending and scheduled runs match in all.</param>
/// <param name="Items">The runs taken this call (at most the limit), oldest recorded first.</param>
/// <param name="Cancelled">How many were cancelled (0 in a dry run).</param>
/// <param name="NotCancelled">How many could not be (already started or ended).</param>
/// <param name="Remaining">Matching runs beyond the limit, left for another call.</param>
/// <param name="Truncated">Whether there are such runs.</param>
public sealed record CancelPendingResponse(
    bool DryRun,
    int Matched,
    IReadOnlyList<CancelPendingItem> Items,
    int Cancelled,
    int NotCancelled,
    int Remaining,
    bool Truncated);
