using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Wraps every job: claims the execution's row before the job runs and writes how it ended after, both through
/// <see cref="RunLifecycle"/> (the claim takes a lease and fencing token; the outcome is written only under it).
/// It is also what keeps a job type from overlapping itself: the claim goes through a unique index that
/// admits one pending-or-running execution per type across the cluster, so an overlapping firing is
/// recorded rather than silently held back (which is why no job carries <c>[DisallowConcurrentExecution]</c>).
/// <list type="bullet">
/// <item>A manual run or a retry arrives with the id of its <c>pending</c> row and runs only if that
/// row is still pending, so a run is never started twice and a cancelled one never starts.</item>
/// <item>A cron firing claims its occurrence, <c>(job_type, scheduled_for)</c>, once across the cluster;
/// if the type is already running the occurrence is recorded <c>skipped</c>, and if it fired later than
/// the type's misfire grace it is recorded <c>skipped</c> too.</item>
/// <item>A firing Quartz recovers (its node died, or shut down mid-run) ends the lost row "runner lost"
/// once its lease has expired and runs once more as a <c>recovery</c> row linked to it.</item>
/// <item>A run whose lease another node took over is interrupted and writes nothing more.</item>
/// </list>
/// The outcome decides what follows: a failure is retried per the type's retry policy as a new
/// pending row; a failed run with no retries left counts towards the type's consecutive failures,
/// and enough of them pause its schedule.
/// </summary>
public sealed partial class ExecutionRecordingMiddleware(
    ExecutionStore store,
    RunLifecycle lifecycle,
    JobCatalog catalog,
    RunningExecutions running,
    [FromKeyedServices(SchedulerDataSources.Background)] JobTypeHealthStore health,
    AuditLog audit,
    SchedulerTelemetry telemetry,
    ExecutionLogStore logStore,
    SchedulerEventStore events,
    RunnerIdentity runner,
    TimeProvider time,
    ILogger<ExecutionRecordingMiddleware> logger) : IJobExecutionMiddleware
{
    public async ValueTask Invoke(IJobExecutionContext context, JobExecutionDelegate next, CancellationToken cancellationToken)
    {
        var jobType = context.JobDetail.Key.Name;
        catalog.TryGet(jobType, out var definition);
        if (await lifecycle.ClaimAsync(context, definition, cancellationToken) is not var (claimed, lease))
        {
            return;
        }

        // The job's downstream calls see the lease (and stop once it lapses); its progress writes name the token.
        using var ambient = lease.Enter();
        context.MergedJobDataMap[ExecutionData.LeaseTokenKey] = lease.Token.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.MergedJobDataMap[ExecutionData.ExecutionIdKey] = claimed.Id.ToString();
        context.MergedJobDataMap[ExecutionData.RootIdKey] = claimed.Root.ToString();
        if (claimed.Parameters is { } parameters)
        {
            context.MergedJobDataMap[ExecutionData.ParametersKey] = parameters;
        }

        // Everything logged from here on, by the job or around it, is also the run's own log.
        var logs = new ExecutionLogBuffer(time);
        using var capture = ExecutionLogCapture.Capture(logs);
        using var stopFlushing = new CancellationTokenSource();
        var flushing = FlushLogsPeriodicallyAsync(lease, logs, stopFlushing.Token);
        try
        {
            await RunClaimedAsync(context, next, jobType, definition, claimed, lease, cancellationToken);
        }
        finally
        {
            await stopFlushing.CancelAsync();
            await flushing;
            await FlushLogsAsync(lease, logs);
            lifecycle.Release(lease);
        }
    }

    /// <summary>Writes the run's new log lines every second while it runs, so the logs can be followed from any node.</summary>
    private async Task FlushLogsPeriodicallyAsync(RunLease lease, ExecutionLogBuffer logs, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stop);
                await FlushLogsAsync(lease, logs);
            }
        }
        catch (OperationCanceledException)
        {
            // the run ended; the last flush follows
        }
    }

    /// <summary>Writes the run's new log lines, fenced by its lease: a node that lost the run adds nothing to its log.</summary>
    private async Task FlushLogsAsync(RunLease lease, ExecutionLogBuffer logs)
    {
        if (lease.Lost)
        {
            return;
        }

        try
        {
            await logStore.AppendAsync(lease.ExecutionId, lease.Token, logs.Take(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogLogsFailed(ex, lease.ExecutionId);
        }
    }

    private async Task RunClaimedAsync(
        IJobExecutionContext context, JobExecutionDelegate next, string jobType, JobDefinition? definition, ClaimedRun claimed, RunLease lease, CancellationToken cancellationToken)
    {
        var id = claimed.Id;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["ExecutionId"] = id, ["JobType"] = jobType });
        using var activity = StartActivity(context, jobType, id, claimed.Trigger);
        var started = time.GetTimestamp();
        if (claimed.Trigger == ExecutionTrigger.Cron && context.ScheduledFireTimeUtc is { } scheduled)
        {
            telemetry.Started(jobType, time.GetUtcNow() - scheduled);
        }

        var outcome = new RunOutcome(jobType, claimed.Trigger, started);
        var budget = definition?.Timeout;
        using var deadline = budget is { } limit ? new CancellationTokenSource(limit, time) : null;
        // Past its budget the run is interrupted the way an operator's interrupt does it: Quartz cancels the job's own token.
        using var onDeadline = deadline is null ? default : deadline.Token.UnsafeRegister(_ => _ = InterruptAsync(context, id), null);
        try
        {
            await next(context, cancellationToken);
        }
        catch (OperationCanceledException) when (lease.Lost)
        {
            // Another node took the run over: this node stopped it and writes nothing over the new owner. The run's
            // end is the new owner's to count; this node counted the lost lease (scheduler_lease_lost_total).
            activity?.SetStatus(ActivityStatusCode.Error, "its lease was taken over by another node");
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && deadline is { IsCancellationRequested: true })
        {
            var error = $"timed out after {JobResults.FormatDuration(budget!.Value)}";
            await FailedAsync(context, definition, lease, claimed.Root, error, FailureKind.Timeout, started);
            Ended(outcome, ExecutionStatus.Failed, FailureKind.Timeout, activity, error);
            throw new JobExecutionException($"{jobType} {error}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && running.ShuttingDown)
        {
            // Rethrown: Quartz hands a recoverable job's firing back for recovery on another node.
            const string error = "cancelled: its node shut down before the run finished";
            await lifecycle.FinishAsync(lease, ExecutionStatus.Cancelled, error, Ended(context, error, FailureKind.Shutdown, started), succeeded: false);
            Ended(outcome, ExecutionStatus.Cancelled, FailureKind.Shutdown, activity, error);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var by = await CancelledByAsync(id);
            var error = by is null ? "cancelled while running" : $"cancelled by {by} while running";
            await lifecycle.FinishAsync(lease, ExecutionStatus.Cancelled, error, Ended(context, error, FailureKind.Cancelled, started), succeeded: false);
            Ended(outcome, ExecutionStatus.Cancelled, FailureKind.Cancelled, activity, error);
            throw;
        }
        catch (Exception ex)
        {
            await FailedAsync(context, definition, lease, claimed.Root, ex.Message, FailureKind.Error, started);
            Ended(outcome, ExecutionStatus.Failed, FailureKind.Error, activity, ex.Message, context.Result as JobResult);
            throw;
        }

        var result = JobResults.WithDuration(
            context.Result as JobResult ?? JobResults.NothingToDo("the job reported no result"),
            time.GetElapsedTime(started));
        if (result.Success)
        {
            await lifecycle.FinishAsync(lease, ExecutionStatus.Completed, null, result, succeeded: true);
            Ended(outcome, ExecutionStatus.Completed, null, activity, null, result);
        }
        else
        {
            var error = result.Errors.Count > 0 ? result.Errors[0] : "the job reported failure";
            await FailedAsync(context, definition, lease, claimed.Root, error, FailureKind.Error, started, result);
            Ended(outcome, ExecutionStatus.Failed, FailureKind.Error, activity, error, result);
        }
    }

    /// <summary>A span for the run, continuing the trace of the request that triggered it (kept in the job data as <c>traceparent</c>).</summary>
    private static Activity? StartActivity(IJobExecutionContext context, string jobType, Guid id, string trigger)
    {
        ActivityContext.TryParse(context.MergedJobDataMap.TryGetString(ExecutionData.TraceParentKey, out var parent) ? parent : null, null, out var parentContext);
        var activity = SchedulerTelemetry.Activities.StartActivity($"job {jobType}", ActivityKind.Internal, parentContext);
        activity?.SetTag("scheduler.job_type", jobType);
        activity?.SetTag("scheduler.execution_id", id.ToString());
        activity?.SetTag("scheduler.trigger", trigger);
        return activity;
    }

    private void Ended(RunOutcome run, string status, string? failureKind, Activity? activity, string? error, JobResult? result = null)
    {
        var duration = time.GetElapsedTime(run.Started);
        telemetry.Ended(run.JobType, status, run.Trigger, duration, result?.ItemsProcessed ?? 0, failureKind);
        LogEnded(run.JobType, status, duration.TotalSeconds, error);
        activity?.SetTag("scheduler.status", status);
        if (error is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error);
        }
    }

    private sealed record RunOutcome(string JobType, string Trigger, long Started);

    /// <summary>Records a failure, then either schedules the next attempt or counts the run as failed (and pauses the schedule after enough).</summary>
    private async Task FailedAsync(
        IJobExecutionContext context, JobDefinition? definition, RunLease lease, Guid root, string error, string failureKind, long started, JobResult? result = null)
    {
        var id = lease.ExecutionId;
        var recorded = result is null
            ? Ended(context, error, failureKind, started)
            : JobResults.WithFailure(result, failureKind);
        // What follows a failure (a retry, the failure count) follows only a failure this node recorded.
        if (await lifecycle.FinishAsync(lease, ExecutionStatus.Failed, error, recorded, succeeded: false) != FinishOutcome.Written || definition is null)
        {
            return;
        }

        if (await ScheduleRetryAsync(definition, id, root) is { } retry)
        {
            LogRetryScheduled(definition.Name, id, retry.Id, retry.At);
            return;
        }

        await Quietly(async () =>
        {
            var failures = await health.FailedAsync(definition.Name, runner.Id, error, time.GetUtcNow(), CancellationToken.None);
            // Whether the type has a schedule now is the store's to say: a run-time override may have given or taken one.
            if (definition.PauseAfterFailures > 0 && failures >= definition.PauseAfterFailures
                && await context.Scheduler.Exists(definition.CronTriggerKey, CancellationToken.None))
            {
                var reason = $"paused after {failures} consecutive failed runs; last error: {error}";
                await context.Scheduler.PauseTriggerWith(definition.CronTriggerKey, new PauseDetails { Reason = reason, RequestedBy = "scheduler" }, CancellationToken.None);
                await events.ScheduleChangedAsync("paused", definition.Name, CancellationToken.None);
                await audit.RecordAsync(new AuditRecord(
                    AuditActions.SchedulePause, "scheduler", AuditTargetTypes.Schedule, definition.Name, definition.Name, null, AuditOutcomes.Accepted,
                    new { reason, consecutiveFailures = failures, lastExecutionId = id }), CancellationToken.None);
                LogAutoPaused(definition.Name, failures);
            }
        }, id);
    }

    private async Task<(Guid Id, DateTimeOffset At)?> ScheduleRetryAsync(JobDefinition definition, Guid failedId, Guid root)
    {
        if (running.ShuttingDown || (definition.Retry.MaxAttempts == 0))
        {
            return null;
        }

        try
        {
            var failed = await store.GetAsync(failedId, CancellationToken.None);
            var retryNumber = failed is null ? int.MaxValue : failed.Attempt;
            if (failed is null || retryNumber > definition.Retry.MaxAttempts)
            {
                return null;
            }

            var at = time.GetUtcNow() + definition.Retry.DelayFor(retryNumber);
            var recorded = await lifecycle.RecordAndSubmitAsync(definition, new NewExecution(definition.Name, failed.StartedBy, failed.Parameters)
            {
                Trigger = ExecutionTrigger.Retry,
                RetryOf = failedId,
                RootId = root,
                Attempt = failed.Attempt + 1,
            }, at, CancellationToken.None);
            return recorded is { Outcome: PendingOutcome.Created created, Submitted: true } ? (created.Execution.Id, at) : null;
        }
        catch (Exception ex)
        {
            LogRetryFailed(ex, failedId);
            return null;
        }
    }

    private async Task InterruptAsync(IJobExecutionContext context, Guid executionId)
    {
        try
        {
            LogTimedOut(executionId);
            await context.Scheduler.InterruptFireInstance(context.FireInstanceId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogInterruptFailed(ex, executionId);
        }
    }

    private async Task<string?> CancelledByAsync(Guid id)
    {
        try
        {
            return await store.CancelledByAsync(id, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogCancelledByUnknown(ex, id);
            return null;
        }
    }

    /// <summary>The job's partial result, if it left one, marked unsuccessful with <paramref name="error"/> first and why in <c>details.failure</c>.</summary>
    private JobResult Ended(IJobExecutionContext context, string error, string failureKind, long started)
    {
        var partial = context.Result as JobResult ?? new JobResult { Success = false };
        var ended = partial with { Success = false, Errors = [error, .. partial.Errors.Take(JobResults.MaxErrors - 1)] };
        return JobResults.WithDuration(JobResults.WithFailure(ended, failureKind), time.GetElapsedTime(started));
    }

    private async Task Quietly(Func<Task> action, Guid executionId)
    {
        try
        {
            await action();
        }
        catch (Exception ex)
        {
            LogBookkeepingFailed(ex, executionId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store the log lines of execution {ExecutionId}")]
    private partial void LogLogsFailed(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{JobType} ended {Status} after {DurationSeconds:0.###} s {Error}")]
    private partial void LogEnded(string jobType, string status, double durationSeconds, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {FailedId} of {JobType} failed; attempt {RetryId} scheduled for {At:o}")]
    private partial void LogRetryScheduled(string jobType, Guid failedId, Guid retryId, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not schedule a retry of execution {ExecutionId}")]
    private partial void LogRetryFailed(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The schedule of {JobType} paused itself after {Failures} consecutive failed runs")]
    private partial void LogAutoPaused(string jobType, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} ran past its timeout; interrupting it")]
    private partial void LogTimedOut(Guid executionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not interrupt execution {ExecutionId} after its timeout")]
    private partial void LogInterruptFailed(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read who cancelled execution {ExecutionId}")]
    private partial void LogCancelledByUnknown(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not update the job type's health after execution {ExecutionId}")]
    private partial void LogBookkeepingFailed(Exception exception, Guid executionId);
}
