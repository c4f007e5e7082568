using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
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
    NpgsqlDataSource dataSource,
    ExecutionStore executions,
    RunStore runs,
    AuditLog audit,
    ExecutionSubmitter submitter,
    ISchedulerFactory schedulers,
    DatabaseContact contact,
    SchedulerTelemetry telemetry,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<RunLifecycle> logger)
{
    /// <summary>
    /// Records <paramref name="execution"/> as pending and hands it to the cluster to start at <paramref name="startAt"/>
    /// (now when null), in one transaction: the pending row, its audit row (<paramref name="accepted"/>, when given)
    /// and the Quartz trigger commit together or not at all, so a run is never recorded without its trigger, nor
    /// scheduled without its row, and the whole hand-over costs one commit. A run for later
    /// (<see cref="NewExecution.RunAt"/>) is recorded <c>scheduled</c> and its trigger fires when it is due. With
    /// <paramref name="yieldToRecovery"/> (a manual trigger now), a lost run of the type whose re-run waits goes
    /// first, and nothing is recorded.
    /// </summary>
    public async Task<RecordedRun> RecordAndSubmitAsync(
        JobDefinition definition,
        NewExecution execution,
        DateTimeOffset? startAt,
        CancellationToken cancellationToken,
        Func<JobExecution, AuditRecord>? accepted = null,
        bool yieldToRecovery = false)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        startAt ??= execution.RunAt;
        if (yieldToRecovery && execution.RunAt is null && definition.Recoverable
            && await RecoveryStore.WaitingRecoveryAsync(connection, transaction, definition.Name, now - options.Value.RecoveryWaitLimit, cancellationToken) is { } lost)
        {
            return new RecordedRun(new PendingOutcome.WaitingRecovery(lost), Submitted: false);
        }

        var outcome = await ExecutionStore.CreatePendingAsync(connection, transaction, execution, now, cancellationToken);
        if (outcome is not PendingOutcome.Created created)
        {
            return new RecordedRun(outcome, Submitted: false);
        }

        if (accepted is not null)
        {
            await audit.RecordAsync(connection, transaction, accepted(created.Execution), cancellationToken);
        }

        // From here the caller going away does not abandon the hand-over. Disposing the enlistment after the commit
        // tells this node's scheduler about the new trigger once it is visible.
        try
        {
            using (scheduler.EnlistTransaction(transaction))
            {
                await submitter.SubmitAsync(definition, created.Execution.Id, startAt, CancellationToken.None);
                await transaction.CommitAsync(CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            LogSubmitFailed(ex, definition.Name);
            return new RecordedRun(outcome, Submitted: false);
        }

        return new RecordedRun(outcome, Submitted: true);
    }

    /// <summary>
    /// Cancels execution <paramref name="id"/> for <paramref name="by"/> in one transaction with its audit row
    /// (<paramref name="accepted"/>): a scheduled or pending run ends <c>cancelled</c>, and a scheduled run's trigger is
    /// unscheduled in that same transaction, so it never fires; a running one is marked for its node to interrupt.
    /// Null, and nothing written, when the run is not scheduled, pending or running (with <paramref name="waitingOnly"/>,
    /// a bulk cancel's: not scheduled or pending). When the scheduler cannot unschedule the trigger, nothing is written
    /// either and <see cref="SchedulerUnavailableException"/> says so.
    /// </summary>
    public async Task<CancelRequest?> CancelAsync(
        Guid id, string by, Func<CancelRequest, AuditRecord> accepted, CancellationToken cancellationToken, bool waitingOnly = false)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ExecutionStore.RequestCancelAsync(connection, transaction, id, by, time.GetUtcNow(), waitingOnly, cancellationToken) is not { } cancel)
        {
            return null;
        }

        await audit.RecordAsync(connection, transaction, accepted(cancel), cancellationToken);
        if (cancel.Was != ExecutionStatus.Scheduled)
        {
            await transaction.CommitAsync(CancellationToken.None);
            return cancel;
        }

        try
        {
            using (scheduler.EnlistTransaction(transaction))
            {
                await scheduler.UnscheduleJob(ExecutionSubmitter.TriggerKeyOf(id), CancellationToken.None);
                await transaction.CommitAsync(CancellationToken.None);
            }
        }
        catch (SchedulerException ex)
        {
            LogUnscheduleFailed(ex, cancel.JobType, id);
            throw new SchedulerUnavailableException($"The trigger of scheduled execution {id} could not be unscheduled; nothing was changed.", ex);
        }

        return cancel;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not hand a run of {JobType} to the scheduler; nothing was recorded")]
    private partial void LogSubmitFailed(Exception exception, string jobType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not unschedule the trigger of scheduled execution {ExecutionId} of {JobType}; the cancel was rolled back")]
    private partial void LogUnscheduleFailed(Exception exception, string jobType, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {JobType} ended 'runner lost': node {RunnerId} stopped renewing its lease")]
    private partial void LogRunnerLost(Guid executionId, string jobType, string? runnerId);
}

/// <summary>
/// What <see cref="RunLifecycle.RecordAndSubmitAsync"/> did: the pending row's outcome, and whether the hand-over landed
/// (when it did not, the row and its trigger were rolled back together: nothing of the run is stored).
/// </summary>
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

/// <summary>The scheduler could not carry out a change of the run's trigger; the change was rolled back (answered 503).</summary>
public sealed class SchedulerUnavailableException(string message, Exception innerException) : Exception(message, innerException);
