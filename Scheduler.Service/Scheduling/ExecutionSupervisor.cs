using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Scheduling;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Keeps every execution row honest, on every node (each step is idempotent, so nodes need not agree on who does it):
/// <list type="bullet">
/// <item>stamps <c>heartbeat_at</c> on the executions this node runs;</item>
/// <item>ends "runner lost" the running executions whose heartbeat stopped, or whose node the cluster reports failed;</item>
/// <item>finds pending executions whose hand-over to Quartz never landed, submits them again, and ends
/// <c>failed</c> those still stranded after <see cref="RecoveryOptions.FailPendingAfter"/>.</item>
/// </list>
/// Re-running a lost execution is Quartz's recovery (<c>RequestRecovery</c>), recorded by the middleware.
/// </summary>
internal sealed partial class ExecutionSupervisor(
    ISchedulerFactory schedulers,
    ExecutionStore store,
    ExecutionSubmitter submitter,
    RunningExecutions running,
    JobCatalog catalog,
    SchedulerTelemetry telemetry,
    ScheduleStore schedules,
    AuditLog audit,
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
        using var timer = new PeriodicTimer(settings.HeartbeatInterval, time);
        do
        {
            try
            {
                await SuperviseAsync(settings, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task SuperviseAsync(RecoveryOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await store.HeartbeatAsync(running.Ids, now, cancellationToken);

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var nodes = await scheduler.QueryClusterNodes(cancellationToken);
        var failed = nodes.Where(n => n.State == ClusterNodeState.Failed && !n.IsCurrentNode).Select(n => n.InstanceId).ToList();
        var lost = await store.SweepOrphansAsync(now - settings.StaleAfter, failed, now - settings.HeartbeatInterval * 2, now, cancellationToken);
        foreach (var execution in lost)
        {
            telemetry.Lost(execution.JobType);
            LogRunnerLost(execution.Id, execution.JobType, execution.RunnerId);
        }

        if (++_ticks % HousekeepingEvery == 0)
        {
            // Exactness does not depend on folding (a total adds the unfolded deltas); it only keeps them few.
            await store.FoldCountsAsync(cancellationToken);
            await events.PruneAsync(now - SchedulerEventStore.Retention, cancellationToken);
        }
        await ResumeExpiredPausesAsync(scheduler, now, cancellationToken);
        await DriveBackfillsAsync(now, cancellationToken);

        foreach (var pending in await store.PendingOlderThanAsync(now - settings.ResubmitPendingAfter, cancellationToken))
        {
            if (await submitter.IsSubmittedAsync(pending.Id, cancellationToken) || !catalog.TryGet(pending.JobType, out var definition))
            {
                continue;
            }

            if (now - new DateTimeOffset(DateTime.SpecifyKind(pending.CreatedAt, DateTimeKind.Utc)) > settings.FailPendingAfter)
            {
                var error = $"not run: no node picked it up within {JobResults.FormatDuration(settings.FailPendingAfter)}";
                await store.FinishAsync(pending.Id, ExecutionStatus.Failed, error, JobResults.Failed(error, FailureKind.NotSubmitted), now, cancellationToken);
                LogStrandedFailed(pending.Id, pending.JobType);
            }
            else
            {
                await submitter.SubmitAsync(definition, pending.Id, null, cancellationToken);
                LogResubmitted(pending.Id, pending.JobType);
            }
        }
    }

    /// <summary>Pauses whose <c>until</c> has passed end here, each on exactly one node (the expiry row is taken once).</summary>
    private async Task ResumeExpiredPausesAsync(IScheduler scheduler, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var jobType in await schedules.TakeExpiredPausesAsync(now, cancellationToken))
        {
            if (!catalog.TryGet(jobType, out var definition)
                || await scheduler.GetTriggerState(definition.CronTriggerKey, cancellationToken) != TriggerState.Paused)
            {
                continue;
            }

            var pause = await scheduler.GetTriggerPause(definition.CronTriggerKey, cancellationToken);
            await scheduler.ResumeTrigger(definition.CronTriggerKey, cancellationToken);
            await audit.RecordAsync(new AuditRecord(AuditActions.ScheduleResume, "scheduler", AuditTargetTypes.Schedule, jobType, jobType, null,
                AuditOutcomes.Accepted, new { reason = "the pause reached its end", pausedBecause = pause?.Reason, pausedBy = pause?.RequestedBy }), cancellationToken);
            await events.ScheduleChangedAsync("resumed", jobType, cancellationToken);
            LogPauseExpired(jobType);
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

            PendingOutcome outcome;
            try
            {
                outcome = await store.CreatePendingAsync(new NewExecution(definition.Name, backfill.RequestedBy, null)
                {
                    Trigger = ExecutionTrigger.Backfill,
                    ScheduledFor = new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)),
                }, now, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                continue; // another node created this occurrence's run a moment ago
            }

            if (outcome is PendingOutcome.Created created)
            {
                await submitter.SubmitAsync(definition, created.Execution.Id, null, cancellationToken);
                LogBackfillRun(definition.Name, next, created.Execution.Id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The pause of {JobType} reached its end; resumed")]
    private partial void LogPauseExpired(string jobType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill of {JobType}: running the occurrence of {Occurrence:o} as {ExecutionId}")]
    private partial void LogBackfillRun(string jobType, DateTime occurrence, Guid executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {BackfillId} of {JobType} has run every occurrence")]
    private partial void LogBackfillFinished(string jobType, Guid backfillId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {JobType} ended 'runner lost': node {RunnerId} stopped before it finished")]
    private partial void LogRunnerLost(Guid executionId, string jobType, string? runnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pending execution {ExecutionId} of {JobType} had no Quartz trigger; submitted it again")]
    private partial void LogResubmitted(Guid executionId, string jobType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pending execution {ExecutionId} of {JobType} was never picked up; recorded it failed")]
    private partial void LogStrandedFailed(Guid executionId, string jobType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution supervision failed; trying again at the next heartbeat")]
    private partial void LogSweepFailed(Exception exception);
}
