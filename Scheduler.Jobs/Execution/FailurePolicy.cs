using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// What follows a failed run this node recorded: another attempt per the type's retry policy, as a new pending row
/// linked to the failed one; with no attempt left, one more consecutive failure for the type, and enough of them
/// (<see cref="JobDefinition.PauseAfterFailures"/>) pause its schedule, as the scheduler, through <see cref="ScheduleControl"/>.
/// </summary>
public sealed partial class FailurePolicy(
    ExecutionHistory store,
    RunLifecycle lifecycle,
    RunningExecutions running,
    [FromKeyedServices(SchedulerDataSources.Background)] JobTypeHealthStore health,
    ScheduleControl schedules,
    RunnerIdentity runner,
    TimeProvider time,
    ILogger<FailurePolicy> logger)
{
    /// <summary>Retries the failed run <paramref name="failedId"/>, or counts it and pauses the schedule after enough. Never throws.</summary>
    public async Task FollowAsync(JobDefinition definition, Guid failedId, Guid root, string error)
    {
        if (await ScheduleRetryAsync(definition, failedId, root) is { } retry)
        {
            LogRetryScheduled(definition.Name, failedId, retry.Id, retry.At);
            return;
        }

        try
        {
            var failures = await health.FailedAsync(definition.Name, runner.Id, error, time.GetUtcNow(), CancellationToken.None);
            if (definition.PauseAfterFailures > 0 && failures >= definition.PauseAfterFailures
                && await schedules.PauseAsync(definition, PauseOrder.AfterFailures(failures, error, failedId), Requester.Scheduler, CancellationToken.None)
                    is ScheduleResult.Changed)
            {
                LogAutoPaused(definition.Name, failures);
            }
        }
        catch (Exception ex)
        {
            LogBookkeepingFailed(ex, failedId);
        }
    }

    private async Task<(Guid Id, DateTimeOffset At)?> ScheduleRetryAsync(JobDefinition definition, Guid failedId, Guid root)
    {
        if (running.ShuttingDown || definition.Retry.MaxAttempts == 0)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {FailedId} of {JobType} failed; attempt {RetryId} scheduled for {At:o}")]
    private partial void LogRetryScheduled(string jobType, Guid failedId, Guid retryId, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not schedule a retry of execution {ExecutionId}")]
    private partial void LogRetryFailed(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The schedule of {JobType} paused itself after {Failures} consecutive failed runs")]
    private partial void LogAutoPaused(string jobType, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not update the job type's health after execution {ExecutionId}")]
    private partial void LogBookkeepingFailed(Exception exception, Guid executionId);
}
