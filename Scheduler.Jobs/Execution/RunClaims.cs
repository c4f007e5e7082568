using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Claims the run a firing stands for, once across the cluster, under a lease with a fencing token that this node
/// then holds (<see cref="RunningExecutions"/>): a pending run by its id (a scheduled one once it has come due, or
/// skipped when its type is busy then), a cron occurrence by its time (skipped when
/// the type is busy or the firing came past its misfire grace), a firing Quartz recovered as a <c>recovery</c> run
/// once the lost run's lease has expired.
/// </summary>
public sealed partial class RunClaims(
    RunStore runs,
    ExecutionSubmitter submitter,
    RunningExecutions running,
    DatabaseContact contact,
    SchedulerTelemetry telemetry,
    RunnerIdentity runner,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<RunClaims> logger)
{
    private RecoveryOptions Settings => options.Value;

    /// <summary>
    /// Claims the run this firing stands for, under a new lease held by this node, or null when it must not run here
    /// (no longer pending, recorded by another node, skipped, or a lost run whose owner still holds its lease).
    /// While the database cannot be reached the claim is retried for <see cref="RecoveryOptions.ClaimRetryFor"/>, so a
    /// firing that lands in an outage is recorded once the database is back, not lost.
    /// </summary>
    public async Task<(ClaimedRun Run, RunLease Lease)?> ClaimAsync(IJobExecutionContext context, JobDefinition? definition, CancellationToken cancellationToken)
    {
        var jobType = context.JobDetail.Key.Name;
        var since = time.GetTimestamp();
        var claimed = await contact.RetryWhileUnreachableAsync(time, 
            () => ClaimOnceAsync(context, jobType, definition, cancellationToken),
            keepTrying: () => time.GetElapsedTime(since) < Settings.ClaimRetryFor,
            unreachable: ex => LogClaimWaits(ex, jobType),
            cancellationToken);
        if (claimed is null)
        {
            return null;
        }

        var lease = new RunLease(claimed.Id, jobType, claimed.LeaseToken, context.FireInstanceId, Settings.Lease, time);
        running.Add(lease);
        return (claimed, lease);
    }

    private async Task<ClaimedRun?> ClaimOnceAsync(IJobExecutionContext context, string jobType, JobDefinition? definition, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var fire = context.FireInstanceId;
        var lease = Settings.Lease;

        var retriedRecovery = context.MergedJobDataMap.TryGetString(ExecutionData.RecoverKey, out var recoverOf) && Guid.TryParse(recoverOf, out var retried)
            ? retried
            : (Guid?)null;
        if (context.Recovering || retriedRecovery is not null)
        {
            var orphan = retriedRecovery
                ?? context.GetExecutionId()
                ?? (context.ScheduledFireTimeUtc is { } firedFor ? await runs.FindOccurrenceAsync(jobType, firedFor, cancellationToken) : null);
            if (orphan is not { } orphanId)
            {
                LogNothingToRecover(jobType);
                return null;
            }

            var mayTakeOver = contact.SteadyFor(Settings.TakeoverGrace);
            switch (await runs.StartRecoveryAsync(orphanId, runner.Id, fire, lease, mayTakeOver, now, cancellationToken))
            {
                case RecoveryOutcome.Started started:
                    LogRecovered(jobType, orphanId, started.Run.Id);
                    return started.Run;
                case RecoveryOutcome.Wait wait when definition is not null:
                    // Try again shortly rather than lose the run (or run it twice).
                    await submitter.SubmitRecoveryAsync(definition, orphanId, now + ExecutionSubmitter.RecoveryRetryDelay, CancellationToken.None);
                    LogRecoveryWaits(jobType, orphanId, mayTakeOver ? wait.Why : "this node reached the database again only just now");
                    return null;
                default:
                    LogNotRecovered(jobType, orphanId);
                    return null;
            }
        }

        if (context.GetExecutionId() is { } pendingId)
        {
            // A run now is pending already; a run for later is scheduled and comes due first (or is skipped, its type busy).
            var claimed = await runs.ClaimPendingAsync(pendingId, runner.Id, fire, lease, now, cancellationToken);
            if (claimed is null)
            {
                switch (await runs.MakeDueAsync(pendingId, runner.Id, now, cancellationToken))
                {
                    case DueOutcome.Due:
                        claimed = await runs.ClaimPendingAsync(pendingId, runner.Id, fire, lease, now, cancellationToken);
                        break;
                    case DueOutcome.Skipped skipped:
                        telemetry.Skipped(jobType, FailureKind.Overlap, skipped.Trigger);
                        LogDueSkipped(jobType, pendingId, skipped.Reason);
                        return null;
                }
            }

            if (claimed is null)
            {
                LogNotPending(jobType, pendingId);
            }

            return claimed;
        }

        if (context.Trigger is ICronTrigger && context.ScheduledFireTimeUtc is { } scheduledFor)
        {
            if (definition?.MisfireGrace is { } grace && now - scheduledFor > grace)
            {
                var late = JobResults.FormatDuration(now - scheduledFor);
                var why = $"skipped: fired {late} late, past its misfire grace of {JobResults.FormatDuration(grace)}";
                await runs.SkipOccurrenceAsync(jobType, scheduledFor, runner.Id, why, FailureKind.Misfire, now, cancellationToken);
                telemetry.Skipped(jobType, FailureKind.Misfire);
                LogSkipped(jobType, scheduledFor, why);
                return null;
            }

            switch (await runs.ClaimOccurrenceAsync(jobType, scheduledFor, runner.Id, fire, lease, now, cancellationToken))
            {
                case OccurrenceOutcome.Claimed claimed:
                    return claimed.Run;
                case OccurrenceOutcome.Skipped skipped:
                    telemetry.Skipped(jobType, FailureKind.Overlap);
                    LogSkipped(jobType, scheduledFor, skipped.Reason);
                    return null;
                default:
                    LogOccurrenceTaken(jobType, scheduledFor);
                    return null;
            }
        }

        return await runs.StartUnrecordedAsync(jobType, runner.Id, fire, lease, now, cancellationToken);
    }

    /// <summary>Lets a run go without an outcome (its claim is over): its lease is no longer renewed.</summary>
    public void Release(RunLease lease) => running.Remove(lease.ExecutionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {ExecutionId} of {JobType} is no longer pending; not running it")]
    private partial void LogNotPending(string jobType, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled execution {ExecutionId} of {JobType} came due and was {Reason}")]
    private partial void LogDueSkipped(string jobType, Guid executionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Occurrence {ScheduledFor:o} of {JobType} is already recorded; not running it again")]
    private partial void LogOccurrenceTaken(string jobType, DateTimeOffset scheduledFor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Occurrence {ScheduledFor:o} of {JobType} {Reason}")]
    private partial void LogSkipped(string jobType, DateTimeOffset scheduledFor, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovered firing of {JobType} names no execution; nothing to recover")]
    private partial void LogNothingToRecover(string jobType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {OrphanId} of {JobType} is not re-run: it finished, or it was recovered already")]
    private partial void LogNotRecovered(string jobType, Guid orphanId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {OrphanId} of {JobType}: its re-run waits ({Why}) and tries again shortly")]
    private partial void LogRecoveryWaits(string jobType, Guid orphanId, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {OrphanId} of {JobType} lost its node's lease; re-running it as {ExecutionId}")]
    private partial void LogRecovered(string jobType, Guid orphanId, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database cannot be reached to claim a firing of {JobType}; trying again shortly")]
    private partial void LogClaimWaits(Exception exception, string jobType);
}
