using Microsoft.Extensions.Logging;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Wraps every job: claims the execution's row before the job runs and writes how it ended after.
/// <list type="bullet">
/// <item>A manual run arrives with the id of the row the API wrote as <c>pending</c>; it runs only
/// if that row is still pending, so a run is never started twice.</item>
/// <item>A cron firing claims its occurrence, <c>(job_type, scheduled_for)</c>, with an insert that
/// the unique index lets through once across the cluster; a firing that loses is not run.</item>
/// </list>
/// </summary>
public sealed partial class ExecutionRecordingMiddleware(
    ExecutionStore store,
    JobCatalog catalog,
    RunnerIdentity runner,
    TimeProvider time,
    ILogger<ExecutionRecordingMiddleware> logger) : IJobExecutionMiddleware
{
    public async ValueTask Invoke(IJobExecutionContext context, JobExecutionDelegate next, CancellationToken cancellationToken)
    {
        var jobType = context.JobDetail.Key.Name;
        var executionId = await ClaimAsync(context, jobType, cancellationToken);
        if (executionId is not { } id)
        {
            return;
        }

        context.MergedJobDataMap[ExecutionData.ExecutionIdKey] = id.ToString();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["ExecutionId"] = id, ["JobType"] = jobType });
        var started = time.GetTimestamp();
        var budget = catalog.TryGet(jobType, out var definition) ? definition.Timeout : (TimeSpan?)null;
        using var deadline = budget is { } limit ? new CancellationTokenSource(limit, time) : null;
        // Past its budget the run is interrupted the way an operator's interrupt does it: Quartz cancels the job's own token.
        using var onDeadline = deadline is null ? default : deadline.Token.UnsafeRegister(_ => _ = InterruptAsync(context, id), null);
        try
        {
            await next(context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && deadline is { IsCancellationRequested: true })
        {
            var error = $"timed out after {JobResults.FormatDuration(budget!.Value)}";
            await FinishAsync(id, ExecutionStatus.Failed, error, Failed(context, error, started));
            throw new JobExecutionException($"{jobType} {error}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await FinishAsync(id, ExecutionStatus.Cancelled, "cancelled while running", Failed(context, "cancelled while running", started));
            throw;
        }
        catch (Exception ex)
        {
            await FinishAsync(id, ExecutionStatus.Failed, ex.Message, Failed(context, ex.Message, started));
            throw;
        }

        var result = JobResults.WithDuration(
            context.Result as JobResult ?? JobResults.NothingToDo("the job reported no result"),
            time.GetElapsedTime(started));
        if (result.Success)
        {
            await FinishAsync(id, ExecutionStatus.Completed, null, result);
        }
        else
        {
            await FinishAsync(id, ExecutionStatus.Failed, result.Errors.Count > 0 ? result.Errors[0] : "the job reported failure", result);
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

    /// <summary>The job's partial result, if it left one, marked failed with <paramref name="error"/> first; else just the error.</summary>
    private JobResult Failed(IJobExecutionContext context, string error, long started)
    {
        var partial = context.Result as JobResult ?? new JobResult { Success = false };
        var failed = partial with { Success = false, Errors = [error, .. partial.Errors.Take(JobResults.MaxErrors - 1)] };
        return JobResults.WithDuration(failed, time.GetElapsedTime(started));
    }

    private async Task<Guid?> ClaimAsync(IJobExecutionContext context, string jobType, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (context.GetExecutionId() is { } pendingId)
        {
            if (await store.ClaimPendingAsync(pendingId, runner.Id, now, cancellationToken))
            {
                return pendingId;
            }

            LogNotPending(jobType, pendingId);
            return null;
        }

        if (context.Trigger is ICronTrigger && context.ScheduledFireTimeUtc is { } scheduledFor)
        {
            var claimed = await store.ClaimOccurrenceAsync(jobType, scheduledFor, runner.Id, now, cancellationToken);
            if (claimed is null)
            {
                LogOccurrenceTaken(jobType, scheduledFor);
            }

            return claimed;
        }

        return await store.StartUnrecordedAsync(jobType, runner.Id, now, cancellationToken);
    }

    private async Task FinishAsync(Guid id, string status, string? error, JobResult result)
    {
        // The job's own token may already be cancelled; the outcome is written regardless.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (!await store.FinishAsync(id, status, error, result, time.GetUtcNow(), timeout.Token))
            {
                LogAlreadyFinished(id, status);
            }
        }
        catch (Exception ex)
        {
            LogFinishFailed(ex, id, status);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {ExecutionId} of {JobType} is no longer pending; not running it")]
    private partial void LogNotPending(string jobType, Guid executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Occurrence {ScheduledFor:o} of {JobType} is already recorded; not running it again")]
    private partial void LogOccurrenceTaken(string jobType, DateTimeOffset scheduledFor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} was already finished when this node tried to record it as {Status}")]
    private partial void LogAlreadyFinished(Guid executionId, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} ran past its timeout; interrupting it")]
    private partial void LogTimedOut(Guid executionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not interrupt execution {ExecutionId} after its timeout")]
    private partial void LogInterruptFailed(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record execution {ExecutionId} as {Status}")]
    private partial void LogFinishFailed(Exception exception, Guid executionId, string status);
}
