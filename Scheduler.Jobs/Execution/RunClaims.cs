using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Scheduling;
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
                ?? (context.ScheduledFireTimeUtc is { } firedFor
                    ? await runs.FindOccurrenceAsync(jobType, ScheduleData.Read(context.Trigger) is { } of ? of.Schedule : NamedSchedule.DefaultName,
                        ScheduleData.Read(context.Trigger)?.Occurrence ?? firedFor, cancellationToken)
                    : null);
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

        if (ScheduleData.Read(context.Trigger) is { } firing && context.ScheduledFireTimeUtc is { } firedAt)
        {
            return await ClaimScheduledAsync(context, jobType, firing, firedAt, now, cancellationToken);
        }

        if (context.Trigger is ICronTrigger && context.ScheduledFireTimeUtc is { } scheduledFor)
        {
            var occurrence = new ScheduledOccurrence(jobType, NamedSchedule.DefaultName, scheduledFor);
            if (definition?.MisfireGrace is { } grace && now - scheduledFor > grace)
            {
                var late = JobResults.FormatDuration(now - scheduledFor);
                var why = $"skipped: fired {late} late, past its misfire grace of {JobResults.FormatDuration(grace)}";
                await runs.SkipOccurrenceAsync(occurrence, runner.Id, why, FailureKind.Misfire, now, cancellationToken);
                telemetry.Skipped(jobType, FailureKind.Misfire);
                LogSkipped(jobType, scheduledFor, why);
                return null;
            }

            switch (await runs.ClaimOccurrenceAsync(occurrence, runner.Id, fire, lease, now, cancellationToken))
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

    /// <summary>
    /// A firing of a named schedule. Its own trigger's firing is an occurrence: past its catch-up limit it is recorded
    /// skipped; with jitter it becomes a one-shot trigger at the occurrence plus a delay drawn now, which runs it
    /// (on whichever node fires it). An occurrence claimed while the type is busy is skipped naming the run that
    /// holds the type, or, under <c>catch_up</c>, tried again shortly so that every missed one runs.
    /// </summary>
    private async Task<ClaimedRun?> ClaimScheduledAsync(
        IJobExecutionContext context, string jobType, ScheduleFiring firing, DateTimeOffset firedAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nominal = firing.Occurrence ?? firedAt;
        var occurrence = new ScheduledOccurrence(jobType, firing.Schedule, nominal, firing.Parameters, firing.DrawnJitterMs);
        var catchUp = firing.MisfirePolicy == MisfirePolicies.CatchUp;
        if (firing.Occurrence is null)
        {
            // Quartz's misfire instruction settles most missed occurrences; a firing it hands back at start-up with its
            // old fire time is settled here by the same policy.
            var why = firing.MisfirePolicy switch
            {
                MisfirePolicies.CatchUp when firing.CatchUpLimit is { } limit && MissedAfter(context.Trigger, firedAt, now, limit) >= limit =>
                    $"skipped: missed, and beyond its schedule's catch-up limit of {limit} later occurrences",
                MisfirePolicies.Skip when MissedAfter(context.Trigger, firedAt, now, 1) >= 1 =>
                    "skipped: missed (the next occurrence is already due), and its schedule skips missed occurrences",
                _ => null,
            };
            if (why is not null)
            {
                await runs.SkipOccurrenceAsync(occurrence, runner.Id, why, FailureKind.Misfire, now, cancellationToken);
                telemetry.Skipped(jobType, FailureKind.Misfire, occurrence.Trigger);
                LogSkipped(jobType, nominal, why);
                return null;
            }

            if (firing.JitterMs > 0)
            {
                var drawn = Random.Shared.Next(0, firing.JitterMs + 1);
                var at = nominal.AddMilliseconds(drawn);
                await context.Scheduler.ScheduleTrigger(
                    NamedScheduleTriggers.Occurrence(context.JobDetail.Key, jobType, firing, nominal, at, drawn, attempt: 0), TriggerConflict.Keep, cancellationToken);
                LogJittered(jobType, firing.Schedule, nominal, drawn);
                return null;
            }
        }

        switch (await runs.ClaimOccurrenceAsync(occurrence, runner.Id, context.FireInstanceId, Settings.Lease, now, cancellationToken, deferWhenBusy: catchUp && firing.Attempt < MaxDeferrals))
        {
            case OccurrenceOutcome.Claimed claimed:
                return claimed.Run;
            case OccurrenceOutcome.Busy:
                await context.Scheduler.ScheduleTrigger(
                    NamedScheduleTriggers.Occurrence(context.JobDetail.Key, jobType, firing, nominal, now + DeferDelay, firing.DrawnJitterMs ?? 0, firing.Attempt + 1),
                    TriggerConflict.Keep, cancellationToken);
                LogDeferred(jobType, firing.Schedule, nominal);
                return null;
            case OccurrenceOutcome.Skipped skipped:
                telemetry.Skipped(jobType, FailureKind.Overlap, occurrence.Trigger);
                LogSkipped(jobType, nominal, skipped.Reason);
                return null;
            default:
                LogOccurrenceTaken(jobType, nominal);
                return null;
        }
    }

    /// <summary>How long a catch-up occurrence that found its type busy waits before trying again, and how often it tries.</summary>
    private static readonly TimeSpan DeferDelay = TimeSpan.FromSeconds(2);
    private const int MaxDeferrals = 150;

    /// <summary>How many of the trigger's fire times after <paramref name="firedAt"/> have already passed (counted up to <paramref name="limit"/>).</summary>
    private static int MissedAfter(ITrigger trigger, DateTimeOffset firedAt, DateTimeOffset now, int limit)
    {
        var missed = 0;
        var at = trigger.GetFireTimeAfter(firedAt);
        while (at is { } next && next <= now && missed < limit)
        {
            missed++;
            at = trigger.GetFireTimeAfter(next);
        }

        return missed;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Occurrence {ScheduledFor:o} of {JobType} schedule {Schedule} runs {JitterMs} ms later (jitter)")]
    private partial void LogJittered(string jobType, string schedule, DateTimeOffset scheduledFor, int jitterMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Occurrence {ScheduledFor:o} of {JobType} schedule {Schedule} waits: the type is running; it catches up shortly")]
    private partial void LogDeferred(string jobType, string schedule, DateTimeOffset scheduledFor);

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
