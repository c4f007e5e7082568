using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// A run's life outside a node's hands: recorded and handed to the cluster (every "record a pending run, then submit
/// it" goes through <see cref="RecordAndSubmitAsync"/>: a manual trigger, an API retry, the retry policy, a
/// backfill), handed over again or ended when it will not run, and ended "runner lost" once its lease has expired.
/// While a node holds it, it is <see cref="RunClaims"/>' (claimed under a lease and fencing token) and
/// <see cref="RunLeases"/>' (renewed, and finished by a write only its lease holder can make).
/// </summary>
public sealed partial class RunLifecycle(
    ExecutionStore executions,
    RunStore runs,
    ExecutionSubmitter submitter,
    DatabaseContact contact,
    SchedulerTelemetry telemetry,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<RunLifecycle> logger)
{
    /// <summary>
    /// Records <paramref name="execution"/> as pending and hands it to the cluster to start at <paramref name="startAt"/>
    /// (now when null). A hand-over that fails ends the row <c>failed</c> ("not run") rather than leaving it pending.
    /// </summary>
    public async Task<RecordedRun> RecordAndSubmitAsync(JobDefinition definition, NewExecution execution, DateTimeOffset? startAt, CancellationToken cancellationToken)
    {
        var outcome = await executions.CreatePendingAsync(execution, time.GetUtcNow(), cancellationToken);
        if (outcome is not PendingOutcome.Created created)
        {
            return new RecordedRun(outcome, Submitted: false);
        }

        // From here the row exists: the hand-over is not abandoned if the caller goes away.
        try
        {
            await submitter.SubmitAsync(definition, created.Execution.Id, startAt, CancellationToken.None);
            return new RecordedRun(outcome, Submitted: true);
        }
        catch (Exception ex)
        {
            LogSubmitFailed(ex, created.Execution.Id, definition.Name);
            const string error = "not run: could not be handed to the scheduler";
            await executions.FailPendingAsync(created.Execution.Id, error, JobResults.Failed(error, FailureKind.NotSubmitted), time.GetUtcNow(), CancellationToken.None);
            return new RecordedRun(outcome, Submitted: false);
        }
    }

    /// <summary>Hands a pending run whose trigger is missing to the cluster again (a repeated hand-over is a no-op).</summary>
    public Task ResubmitAsync(JobDefinition definition, Guid executionId, CancellationToken cancellationToken) =>
        submitter.SubmitAsync(definition, executionId, null, cancellationToken);

    /// <summary>Ends a pending run that will not run, with the reason.</summary>
    public Task<bool> FailPendingAsync(Guid executionId, string error, FailureKind failureKind, CancellationToken cancellationToken) =>
        executions.FailPendingAsync(executionId, error, JobResults.Failed(error, failureKind), time.GetUtcNow(), cancellationToken);

    /// <summary>
    /// Ends "runner lost" every running row whose lease has expired, once this node has reached the database steadily
    /// for <see cref="RecoveryOptions.TakeoverGrace"/> (after an outage, live owners renew first).
    /// </summary>
    public async Task<IReadOnlyList<LostExecution>> SweepExpiredAsync(CancellationToken cancellationToken)
    {
        if (!contact.SteadyFor(options.Value.TakeoverGrace))
        {
            return [];
        }

        var lost = await runs.SweepExpiredAsync(options.Value.Lease, time.GetUtcNow(), cancellationToken);
        foreach (var execution in lost)
        {
            telemetry.Lost(execution.JobType);
            LogRunnerLost(execution.Id, execution.JobType, execution.RunnerId);
        }

        return lost;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not hand execution {ExecutionId} of {JobType} to the scheduler; recorded it failed")]
    private partial void LogSubmitFailed(Exception exception, Guid executionId, string jobType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {JobType} ended 'runner lost': node {RunnerId} stopped renewing its lease")]
    private partial void LogRunnerLost(Guid executionId, string jobType, string? runnerId);
}

/// <summary>What <see cref="RunLifecycle.RecordAndSubmitAsync"/> did: the pending row's outcome, and whether the hand-over landed.</summary>
public sealed record RecordedRun(PendingOutcome Outcome, bool Submitted);

/// <summary>What became of a run's outcome.</summary>
public enum FinishOutcome
{
    /// <summary>Written: the row shows it.</summary>
    Written,

    /// <summary>Not written: another claim holds the row (this node's lease was taken over).</summary>
    Fenced,

    /// <summary>Not written: the database stayed unreachable until shutdown; the lease expires and the run is recovered.</summary>
    NotWritten,
}
