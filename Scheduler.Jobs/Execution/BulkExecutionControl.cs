using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// What an operator does to many executions at once: retry the failed runs a filter matches, cancel the waiting ones.
/// Each run goes through the same path as its single action (<see cref="ExecutionControl.RetryAsync"/>,
/// <see cref="RunLifecycle.CancelAsync"/>), one after another, each in its own transaction with its own audit row;
/// one more audit row records the call: its filter, its counts and which runs it took.
/// </summary>
public sealed partial class BulkExecutionControl(
    NpgsqlDataSource dataSource,
    JobCatalog catalog,
    ExecutionControl control,
    ExecutionHistory history,
    RunLifecycle lifecycle,
    AuditLog audit,
    IOptions<RunOptions> options,
    ILogger<BulkExecutionControl> logger)
{
    // Only the newest attempt of a chain is a candidate: a failed run that a retry (or a recovery) names is done with.
    private const string RetryCandidatesSql = """
        SELECT id AS Id, job_type AS JobType, completed_at AS CompletedAt, scheduler_failure_reason(error) AS Reason,
               count(*) OVER () AS Matched
          FROM scheduled_jobs s
         WHERE status = 'failed' AND completed_at >= @from AND completed_at < @to
           AND (@type::text IS NULL OR job_type = @type)
           AND (@reason::text IS NULL OR scheduler_failure_reason(error) = @reason)
           AND NOT EXISTS (SELECT 1 FROM scheduled_jobs r WHERE r.retry_of = s.id)
         ORDER BY completed_at, id
         LIMIT @limit
        """;

    /// <summary>
    /// The failed runs that ended in [from, to) (of a type, with a normalised reason, when given) and were not retried
    /// yet, oldest ending first, at most the limit; unless a dry run, each retried in turn. A type runs one run at a
    /// time: once a run of a type is retried (or found busy), its other runs in this call answer busy and stay
    /// candidates for a later call.
    /// </summary>
    public async Task<BulkOutcome<RetryFailedResponse>> RetryFailedAsync(RetryFailedRequest request, Requester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(requester);
        var errors = Problems(request.Type, request.Limit, out var limit);
        if (errors.Count > 0)
        {
            return new BulkOutcome<RetryFailedResponse>.Invalid(errors);
        }

        var rows = await dataSource.QueryAsync<RetryCandidate>(RetryCandidatesSql,
            new { from = request.From!.Value, to = request.To!.Value, type = request.Type, reason = request.Reason, limit }, cancellationToken);
        var matched = rows.Count == 0 ? 0 : (int)rows[0].Matched;
        var bulkId = Guid.NewGuid();
        var items = new List<RetryFailedItem>(rows.Count);
        var heldBy = new Dictionary<string, Guid?>();
        foreach (var row in rows)
        {
            var item = new RetryFailedItem(row.Id, row.JobType, row.CompletedAt, row.Reason);
            items.Add(request.DryRun ? item : await RetryOneAsync(item, heldBy, bulkId, requester));
        }

        var retried = items.Count(i => i.RetryId is not null);
        var answer = new RetryFailedResponse(request.DryRun, matched, items, retried, request.DryRun ? 0 : items.Count - retried,
            matched - items.Count, matched > items.Count);
        await audit.RecordAfterTheFactAsync(new AuditRecord(AuditActions.JobRetryFailed, requester.Actor, AuditTargetTypes.Execution, null, request.Type,
            requester.RemoteAddress, AuditOutcomes.Accepted, new
            {
                bulkId,
                filter = new { request.Type, request.From, request.To, request.Reason, limit },
                request.DryRun,
                answer.Matched,
                answer.Retried,
                answer.NotRetried,
                answer.Remaining,
                retries = items.Where(i => i.RetryId is not null).Select(i => new { i.Id, i.RetryId }),
                notRetriedRuns = items.Where(i => i.Error is not null).Select(i => new { i.Id, i.Error }),
                listed = request.DryRun ? items.Select(i => i.Id) : null,
            }), logger);
        LogBulkRetry(requester.Actor, matched, retried, answer.NotRetried, request.DryRun);
        return new BulkOutcome<RetryFailedResponse>.Done(answer);
    }

    // Past validation a run is retried whatever the caller does next: the call's audit row must tell what it did.
    private async Task<RetryFailedItem> RetryOneAsync(RetryFailedItem item, Dictionary<string, Guid?> heldBy, Guid bulkId, Requester requester)
    {
        if (heldBy.TryGetValue(item.JobType, out var holder))
        {
            return holder is { } active
                ? item with { Error = $"busy: {item.JobType} has execution {active} pending or running; one run of a type at a time", ActiveExecutionId = active }
                : item with { Error = $"{item.JobType} cannot run (disabled or no longer defined)" };
        }

        var outcome = await control.RetryAsync(item.Id, new RetryJobRequest(Reason: $"bulk retry {bulkId}"), requester, CancellationToken.None);
        switch (outcome)
        {
            case RetryOutcome.Accepted accepted:
                heldBy[item.JobType] = accepted.Execution.Id;
                return item with { RetryId = accepted.Execution.Id };
            case RetryOutcome.Busy busy:
                heldBy[item.JobType] = busy.ActiveId;
                return item with { Error = $"busy: {item.JobType} has execution {busy.ActiveId} pending or running; one run of a type at a time", ActiveExecutionId = busy.ActiveId };
            case RetryOutcome.CannotRun:
                heldBy[item.JobType] = null;
                return item with { Error = $"{item.JobType} cannot run (disabled or no longer defined)" };
            case RetryOutcome.Refused refused:
                return item with { Error = refused.Detail };
            case RetryOutcome.NotSubmitted:
                return item with { Error = "the run could not be handed to the scheduler; nothing was recorded" };
            case RetryOutcome.NotFound:
                return item with { Error = "the execution is gone (archived meanwhile)" };
            default:
                return item with { Error = outcome.ToString() };
        }
    }

    private const string CancelCandidatesSql = """
        SELECT id AS Id, job_type AS JobType, status AS Status, scheduled_for AS ScheduledFor, created_at AS CreatedAt,
               count(*) OVER () AS Matched
          FROM scheduled_jobs
         WHERE status IN ('scheduled', 'pending') AND (@type::text IS NULL OR job_type = @type)
         ORDER BY created_at, id
         LIMIT @limit
        """;

    /// <summary>
    /// The pending and scheduled runs (of a type, when given), oldest recorded first, at most the limit; unless a dry
    /// run, each cancelled in turn (a scheduled run's trigger is unscheduled with it). A run that has started
    /// meanwhile is left running and reported.
    /// </summary>
    public async Task<BulkOutcome<CancelPendingResponse>> CancelPendingAsync(CancelPendingRequest request, Requester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(requester);
        var errors = Problems(request.Type, request.Limit, out var limit);
        if (errors.Count > 0)
        {
            return new BulkOutcome<CancelPendingResponse>.Invalid(errors);
        }

        var rows = await dataSource.QueryAsync<CancelCandidate>(CancelCandidatesSql, new { type = request.Type, limit }, cancellationToken);
        var matched = rows.Count == 0 ? 0 : (int)rows[0].Matched;
        var bulkId = Guid.NewGuid();
        var items = new List<CancelPendingItem>(rows.Count);
        foreach (var row in rows)
        {
            var item = new CancelPendingItem(row.Id, row.JobType, EnumText.Parse<ExecutionStatus>(row.Status), row.ScheduledFor, row.CreatedAt);
            items.Add(request.DryRun ? item : await CancelOneAsync(item, bulkId, requester));
        }

        var cancelled = items.Count(i => i.Cancelled);
        var answer = new CancelPendingResponse(request.DryRun, matched, items, cancelled, request.DryRun ? 0 : items.Count - cancelled,
            matched - items.Count, matched > items.Count);
        await audit.RecordAfterTheFactAsync(new AuditRecord(AuditActions.JobCancelPending, requester.Actor, AuditTargetTypes.Execution, null, request.Type,
            requester.RemoteAddress, AuditOutcomes.Accepted, new
            {
                bulkId,
                filter = new { request.Type, limit },
                request.DryRun,
                answer.Matched,
                answer.Cancelled,
                answer.NotCancelled,
                answer.Remaining,
                cancelledRuns = items.Where(i => i.Cancelled).Select(i => i.Id),
                notCancelledRuns = items.Where(i => i.Error is not null).Select(i => new { i.Id, i.Error }),
                listed = request.DryRun ? items.Select(i => i.Id) : null,
            }), logger);
        LogBulkCancel(requester.Actor, matched, cancelled, answer.NotCancelled, request.DryRun);
        return new BulkOutcome<CancelPendingResponse>.Done(answer);
    }

    private async Task<CancelPendingItem> CancelOneAsync(CancelPendingItem item, Guid bulkId, Requester requester)
    {
        try
        {
            var cancel = await lifecycle.CancelAsync(item.Id, requester.Actor, state => new AuditRecord(AuditActions.JobCancel, requester.Actor,
                AuditTargetTypes.Execution, item.Id.ToString(), state.JobType, requester.RemoteAddress, AuditOutcomes.Accepted, new
                {
                    wasRunning = false,
                    wasScheduled = state.Was == ExecutionStatus.Scheduled,
                    reason = $"bulk cancel {bulkId}",
                }), CancellationToken.None, waitingOnly: true);
            if (cancel is not null)
            {
                return item with { Cancelled = true };
            }

            var now = await history.GetAsync(item.Id, CancellationToken.None);
            return item with { Error = now is null ? "the execution is gone" : $"it is {now.Status.ToText()} now; only a run that has not started is cancelled here" };
        }
        catch (SchedulerUnavailableException ex)
        {
            return item with { Error = ex.Message };
        }
    }

    /// <summary>The type (when given) is one the catalog knows; the limit is within <see cref="RunOptions.BulkRetryLimit"/>.</summary>
    private Dictionary<string, string[]> Problems(string? type, int? requested, out int limit)
    {
        var errors = new Dictionary<string, string[]>();
        var cap = options.Value.BulkRetryLimit;
        limit = requested ?? cap;
        if (type is not null && !catalog.TryGet(type, out _))
        {
            errors["type"] = [$"Unknown job type. Valid types: {string.Join(", ", catalog.Names)}."];
        }

        if (requested > cap)
        {
            errors["limit"] = [$"Must be at most {cap} (Runs:BulkRetryLimit)."];
        }

        return errors;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor} retried failed runs in bulk: {Matched} matched, {Retried} retried, {NotRetried} not retried (dry run: {DryRun})")]
    private partial void LogBulkRetry(string actor, int matched, int retried, int notRetried, bool dryRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor} cancelled waiting runs in bulk: {Matched} matched, {Cancelled} cancelled, {NotCancelled} not cancelled (dry run: {DryRun})")]
    private partial void LogBulkCancel(string actor, int matched, int cancelled, int notCancelled, bool dryRun);

    private sealed class RetryCandidate
    {
        public Guid Id { get; init; }
        public string JobType { get; init; } = "";
        public DateTimeOffset CompletedAt { get; init; }
        public string Reason { get; init; } = "";
        public long Matched { get; init; }
    }

    private sealed class CancelCandidate
    {
        public Guid Id { get; init; }
        public string JobType { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset? ScheduledFor { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public long Matched { get; init; }
    }
}

/// <summary>What a bulk operation did: refused its input, or did (or, in a dry run, listed) its work.</summary>
public abstract record BulkOutcome<T>
{
    /// <summary>Bad input, keyed by field; nothing was done.</summary>
    public sealed record Invalid(IDictionary<string, string[]> Errors) : BulkOutcome<T>;

    /// <summary>The answer.</summary>
    public sealed record Done(T Answer) : BulkOutcome<T>;
}
