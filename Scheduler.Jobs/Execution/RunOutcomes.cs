using Microsoft.Extensions.Logging;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Writes how a claimed run ended, under its lease (<see cref="RunLeases.FinishAsync"/>), and counts the end
/// (<see cref="RunObservation.Ended"/>): completed, failed (then <see cref="FailurePolicy"/> decides what follows),
/// timed out, or cancelled (by an operator, or by its node shutting down). The end is counted and logged first, so
/// its log line is in the run's log, written with the outcome in one statement.
/// </summary>
public sealed partial class RunOutcomes(
    RunLeases leases, FailurePolicy failures, ExecutionHistory store, RunningExecutions running, ILogger<RunOutcomes> logger)
{
    /// <summary>The job returned: its result decides whether it completed or failed.</summary>
    public async Task ReturnedAsync(ClaimedRunContext run)
    {
        var result = JobResults.WithDuration(
            run.Context.Result as JobResult ?? JobResults.NothingToDo("the job reported no result"),
            run.Observation.Elapsed);
        if (result.Success)
        {
            run.Observation.Ended(ExecutionStatus.Completed, null, null, result);
            await leases.FinishAsync(run.Lease, ExecutionStatus.Completed, null, result, succeeded: true);
        }
        else
        {
            var error = result.Errors.Count > 0 ? result.Errors[0] : "the job reported failure";
            run.Observation.Ended(ExecutionStatus.Failed, FailureKind.Error, error, result);
            await FailedAsync(run, error, FailureKind.Error, result);
        }
    }

    /// <summary>The job threw.</summary>
    public async Task ThrewAsync(ClaimedRunContext run, Exception exception)
    {
        run.Observation.Ended(ExecutionStatus.Failed, FailureKind.Error, exception.Message, run.Context.Result as JobResult);
        await FailedAsync(run, exception.Message, FailureKind.Error);
    }

    /// <summary>The run was interrupted past its budget; what to throw to Quartz.</summary>
    public async Task<JobExecutionException> TimedOutAsync(ClaimedRunContext run, TimeSpan budget)
    {
        var error = $"timed out after {JobResults.FormatDuration(budget)}";
        run.Observation.Ended(ExecutionStatus.Failed, FailureKind.Timeout, error);
        await FailedAsync(run, error, FailureKind.Timeout);
        return new JobExecutionException($"{run.Observation.JobType} {error}");
    }

    /// <summary>
    /// The run was cancelled: by its node shutting down (Quartz then hands a recoverable job's firing to another
    /// node), or by an operator, named when known.
    /// </summary>
    public async Task CancelledAsync(ClaimedRunContext run)
    {
        string error;
        FailureKind kind;
        if (running.ShuttingDown)
        {
            (error, kind) = ("cancelled: its node shut down before the run finished", FailureKind.Shutdown);
        }
        else
        {
            var by = await CancelledByAsync(run.Claimed.Id);
            (error, kind) = (by is null ? "cancelled while running" : $"cancelled by {by} while running", FailureKind.Cancelled);
        }

        run.Observation.Ended(ExecutionStatus.Cancelled, kind, error);
        await leases.FinishAsync(run.Lease, ExecutionStatus.Cancelled, error, Unsuccessful(run, error, kind), succeeded: false);
    }

    /// <summary>Records a failure; what follows (a retry, the failure count) follows only a failure this node recorded.</summary>
    private async Task FailedAsync(ClaimedRunContext run, string error, FailureKind failureKind, JobResult? result = null)
    {
        var recorded = result is null ? Unsuccessful(run, error, failureKind) : JobResults.WithFailure(result, failureKind);
        if (await leases.FinishAsync(run.Lease, ExecutionStatus.Failed, error, recorded, succeeded: false) == FinishOutcome.Written && run.Definition is { } definition)
        {
            await failures.FollowAsync(definition, run.Lease.ExecutionId, run.Claimed.Root, error);
        }
    }

    /// <summary>The job's partial result, if it left one, marked unsuccessful with <paramref name="error"/> first and why in <c>details.failure</c>.</summary>
    private static JobResult Unsuccessful(ClaimedRunContext run, string error, FailureKind failureKind)
    {
        var partial = run.Context.Result as JobResult ?? new JobResult { Success = false };
        var ended = partial with { Success = false, Errors = [error, .. partial.Errors.Take(JobResults.MaxErrors - 1)] };
        return JobResults.WithDuration(JobResults.WithFailure(ended, failureKind), run.Observation.Elapsed);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read who cancelled execution {ExecutionId}")]
    private partial void LogCancelledByUnknown(Exception exception, Guid executionId);
}

/// <summary>A run this node claimed, as the recording middleware hands it on: the firing, the type, the row and its lease, its observation.</summary>
public sealed record ClaimedRunContext(IJobExecutionContext Context, JobDefinition? Definition, ClaimedRun Claimed, RunLease Lease, RunObservation Observation);
