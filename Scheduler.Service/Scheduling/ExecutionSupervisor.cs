using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Scheduling;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Keeps every execution row honest, on every node (each step is idempotent, so nodes need not agree on who does it).
/// Every state a row can stick in has a sweep, a reason written on the row, and a count in <c>scheduler_stuck_executions</c>:
/// <list type="bullet">
/// <item>running, lease expired (its node died, or stalled or lost the database for a whole lease; also a row with no
/// lease renewal at all): ended "runner lost", then re-run by recovery;</item>
/// <item>pending (or scheduled and past due), trigger missing: handed to Quartz again, ended <c>failed</c> after <see cref="RecoveryOptions.FailPendingAfter"/>;</item>
/// <item>pending, trigger in error, paused or blocked: reset from error where Quartz can, ended <c>failed</c> ("stuck")
/// after <see cref="RecoveryOptions.StuckPendingAfter"/>;</item>
/// <item>a lost run whose re-run waited past <see cref="RecoveryOptions.RecoveryWaitLimit"/>: given up with the reason.</item>
/// </list>
/// Lease renewals are not here but in <see cref="LeaseKeeper"/>, so nothing this loop waits for can delay them.
/// </summary>
internal sealed partial class ExecutionSupervisor(
    ISchedulerFactory schedulers,
    [FromKeyedServices(SchedulerDataSources.Background)] RecoveryStore store,
    [FromKeyedServices(SchedulerDataSources.Background)] ExecutionArchive archive,
    RunLifecycle lifecycle,
    DatabaseContact contact,
    JobCatalog catalog,
    SchedulerTelemetry telemetry,
    [FromKeyedServices(SchedulerDataSources.Background)] ScheduleStore schedules,
    ScheduleControl control,
    SchedulerEventStore events,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<ExecutionSupervisor> logger) : BackgroundService
{
    /// <summary>Folding counts and pruning events happen every this many ticks, not every one: an idle node should cost the database little.</summary>
    private const int HousekeepingEvery = 6;
    private long _ticks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.LeaseRenewalInterval, time);
        do
        {
            try
            {
                await SuperviseAsync(settings, stoppingToken);
                contact.Reached();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (DatabaseContact.IsUnreachable(ex))
                {
                    contact.Failed();
                }

                LogSweepFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task SuperviseAsync(RecoveryOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stuck = new Dictionary<string, int>();
        var lost = await lifecycle.SweepExpiredAsync(cancellationToken);
        Count(stuck, StuckStates.LeaseExpired, lost.Count);

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (++_ticks % HousekeepingEvery == 0)
        {
            // Exactness does not depend on folding (a total adds the unfolded deltas); it only keeps them few.
            await archive.FoldCountsAsync(cancellationToken);
            await events.PruneAsync(now - SchedulerEventStore.Retention, cancellationToken);
            await AbandonLongWaitingRecoveriesAsync(settings, now, stuck, cancellationToken);
        }

        await ResumeExpiredPausesAsync(now, cancellationToken);
        await DriveBackfillsAsync(now, cancellationToken);
        await SweepPendingAsync(scheduler, settings, now, stuck, cancellationToken);
        telemetry.Stuck(stuck);
    }

    private static void Count(Dictionary<string, int> stuck, string state, int n) => stuck[state] = stuck.GetValueOrDefault(state) + n;

    /// <summary>
    /// Pending runs older than <see cref="RecoveryOptions.ResubmitPendingAfter"/> whose trigger is not simply waiting to fire:
    /// missing (handed over again), in error (reset), paused or blocked; each ended <c>failed</c> with the reason once past its limit.
    /// </summary>
    private async Task SweepPendingAsync(IScheduler scheduler, RecoveryOptions settings, DateTimeOffset now, Dictionary<string, int> stuck, CancellationToken cancellationToken)
    {
        var waiting = await store.PendingOlderThanAsync(now - settings.ResubmitPendingAfter, cancellationToken);
        // Oldest first: each type's first row is its most overdue one (the 100 rows always include the oldest of all).
        telemetry.Overdue(waiting.GroupBy(p => p.JobType).ToDictionary(g => g.Key, g => now - g.First().CreatedAt, StringComparer.Ordinal));
        foreach (var pending in waiting)
        {
            if (!catalog.TryGet(pending.JobType, out var definition))
            {
                continue;
            }

            var key = ExecutionSubmitter.TriggerKeyOf(pending.Id);
            var age = now - pending.CreatedAt;
            var state = await scheduler.GetTriggerState(key, cancellationToken);
            switch (state)
            {
                case TriggerState.None:
                    Count(stuck, StuckStates.TriggerMissing, 1);
                    if (age > settings.FailPendingAfter)
                    {
                        var error = $"not run: no node picked it up within {JobResults.FormatDuration(settings.FailPendingAfter)}";
                        await lifecycle.FailPendingAsync(pending.Id, error, FailureKind.NotSubmitted, cancellationToken);
                        LogStrandedFailed(pending.Id, pending.JobType, error);
                    }
                    else
                    {
                        await lifecycle.ResubmitAsync(definition, pending.Id, cancellationToken);
                        LogResubmitted(pending.Id, pending.JobType);
                    }

                    break;
                case TriggerState.Error or TriggerState.Paused or TriggerState.Blocked:
                    var name = state.ToString().ToLowerInvariant();
                    Count(stuck, state switch
                    {
                        TriggerState.Error => StuckStates.TriggerError,
                        TriggerState.Paused => StuckStates.TriggerPaused,
                        _ => StuckStates.TriggerBlocked,
                    }, 1);
                    if (age > settings.StuckPendingAfter)
                    {
                        var error = $"not run: its trigger stayed {name} for over {JobResults.FormatDuration(settings.StuckPendingAfter)}";
                        await scheduler.UnscheduleJob(key, cancellationToken);
                        await lifecycle.FailPendingAsync(pending.Id, error, FailureKind.Stuck, cancellationToken);
                        LogStrandedFailed(pending.Id, pending.JobType, error);
                    }
                    else if (state == TriggerState.Error)
                    {
                        // An error state is Quartz's verdict on one firing attempt (e.g. the job could not be built); try once more.
                        await scheduler.ResetTriggerFromErrorState(key, cancellationToken);
                        LogResetFromError(pending.Id, pending.JobType);
                    }

                    break;
            }
        }
    }

    /// <summary>Lost runs whose re-run has waited past the limit (their type stayed busy) are given up, with the reason on a recovery row.</summary>
    private async Task AbandonLongWaitingRecoveriesAsync(RecoveryOptions settings, DateTimeOffset now, Dictionary<string, int> stuck, CancellationToken cancellationToken)
    {
        var error = $"not re-run: its type stayed busy for {JobResults.FormatDuration(settings.RecoveryWaitLimit)} after its node was lost; retry it if it is still needed";
        var abandoned = await store.AbandonRecoveriesAsync(now - settings.RecoveryWaitLimit, error, now, cancellationToken);
        Count(stuck, StuckStates.RecoveryWaiting, abandoned.Count);
        foreach (var run in abandoned)
        {
            LogRecoveryAbandoned(run.Id, run.JobType, settings.RecoveryWaitLimit.TotalSeconds);
        }
    }

    /// <summary>Pauses whose <c>until</c> has passed end here, each on exactly one node (the expiry row is taken once).</summary>
    private async Task ResumeExpiredPausesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var jobType in await schedules.TakeExpiredPausesAsync(now, cancellationToken))
        {
            if (catalog.TryGet(jobType, out var definition)
                && await control.ResumeAsync(definition, ResumeOrder.PauseEnded, Requester.Scheduler, cancellationToken) is ScheduleResult.Changed)
            {
                LogPauseExpired(jobType);
            }
        }
    }

    /// <summary>
    /// Each open backfill runs its next occurrence once the type has nothing pending or running: one at a time,
    /// in order, each recorded with the occurrence as <c>scheduled_for</c>. Progress is the rows themselves, so
    /// any node carries a backfill on.
    /// </summary>
    private async Task DriveBackfillsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var backfill in await schedules.OpenBackfillsAsync(cancellationToken))
        {
            if (backfill.NextOccurrence is not { } next)
            {
                await schedules.FinishBackfillAsync(backfill.Id, now, cancellationToken);
                LogBackfillFinished(backfill.JobType, backfill.Id);
                continue;
            }

            if (!catalog.TryGet(backfill.JobType, out var definition) || !definition.Enabled)
            {
                await schedules.FinishBackfillAsync(backfill.Id, now, cancellationToken);
                continue;
            }

            // Another node may have recorded this occurrence a moment ago: then nothing is recorded here.
            var recorded = await lifecycle.RecordAndSubmitAsync(definition, new NewExecution(definition.Name, backfill.RequestedBy, null)
            {
                Trigger = ExecutionTrigger.Backfill,
                ScheduledFor = next,
            }, startAt: null, cancellationToken);
            if (recorded is { Outcome: PendingOutcome.Created created, Submitted: true })
            {
                LogBackfillRun(definition.Name, next, created.Execution.Id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The pause of {JobType} reached its end; resumed")]
    private partial void LogPauseExpired(string jobType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill of {JobType}: running the occurrence of {Occurrence:o} as {ExecutionId}")]
    private partial void LogBackfillRun(string jobType, DateTimeOffset occurrence, Guid executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} of {JobType} has run every occurrence")]
    private partial void LogBackfillFinished(string jobType, Guid backfillId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pending execution {ExecutionId} of {JobType}: its trigger was in error; reset it")]
    private partial void LogResetFromError(Guid executionId, string jobType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost execution {ExecutionId} of {JobType} is not re-run: its type stayed busy for {LimitSeconds} s")]
    private partial void LogRecoveryAbandoned(Guid executionId, string jobType, double limitSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pending execution {ExecutionId} of {JobType} had no Quartz trigger; submitted it again")]
    private partial void LogResubmitted(Guid executionId, string jobType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pending execution {ExecutionId} of {JobType} ended failed: {Error}")]
    private partial void LogStrandedFailed(Guid executionId, string jobType, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution supervision failed; trying again at the next sweep")]
    private partial void LogSweepFailed(Exception exception);
}
