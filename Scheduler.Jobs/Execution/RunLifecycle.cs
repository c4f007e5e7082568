using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// A run's life, in one place: recorded and handed to the cluster, claimed by one node under a lease with a fencing
/// token, renewed while it runs (and while its outcome waits for the database), finished by a write only its lease
/// holder can make, and recovered on another node only once its lease has expired. The API, the recording middleware
/// and the supervisor all go through here.
/// </summary>
public sealed partial class RunLifecycle(
    ExecutionStore executions,
    RunStore runs,
    ExecutionSubmitter submitter,
    RunningExecutions running,
    DatabaseContact contact,
    ISchedulerFactory schedulers,
    SchedulerTelemetry telemetry,
    RunnerIdentity runner,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<RunLifecycle> logger)
{
    /// <summary>After shutdown has begun, how much longer an outcome waiting for the database is tried.</summary>
    private static readonly TimeSpan OutcomeRetryAfterShutdown = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private RecoveryOptions Settings => options.Value;

    // ---- recorded and submitted ----------------------------------------------------------------------------------

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
    public Task<bool> FailPendingAsync(Guid executionId, string error, string failureKind, CancellationToken cancellationToken) =>
        executions.FailPendingAsync(executionId, error, JobResults.Failed(error, failureKind), time.GetUtcNow(), cancellationToken);

    // ---- claimed -------------------------------------------------------------------------------------------------

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
        var claimed = await RetryWhileUnreachableAsync(
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
            var claimed = await runs.ClaimPendingAsync(pendingId, runner.Id, fire, lease, now, cancellationToken);
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

    // ---- renewed -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Renews every lease this node holds, in one statement. A lease the database no longer has (another node's claim
    /// replaced it) is marked lost and its job interrupted at once; it writes nothing more.
    /// </summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        var leases = running.Leases;
        if (leases.Count == 0)
        {
            return;
        }

        var sentAt = time.GetTimestamp();
        IReadOnlySet<Guid> renewed;
        try
        {
            renewed = await runs.RenewAsync(leases, Settings.Lease, time.GetUtcNow(), cancellationToken);
            contact.Reached();
        }
        catch (Exception ex) when (DatabaseContact.IsUnreachable(ex))
        {
            contact.Failed();
            LogRenewFailed(ex, leases.Count);
            return;
        }

        foreach (var lease in leases)
        {
            if (renewed.Contains(lease.ExecutionId))
            {
                lease.Renewed(sentAt);
            }
            else if (running.Holds(lease))
            {
                await LoseAsync(lease, "its lease was taken over by another node");
            }
        }
    }

    /// <summary>Marks <paramref name="lease"/> lost and interrupts its job, once.</summary>
    private async Task LoseAsync(RunLease lease, string why)
    {
        if (!lease.MarkLost())
        {
            return;
        }

        telemetry.LeaseLost(lease.JobType);
        LogLeaseLost(lease.ExecutionId, lease.JobType, lease.Token, why);
        try
        {
            var scheduler = await schedulers.GetScheduler(CancellationToken.None);
            await scheduler.InterruptFireInstance(lease.FireInstanceId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogInterruptFailed(ex, lease.ExecutionId);
        }
    }

    // ---- finished ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Writes how the run ended, fenced by its lease: <see cref="FinishOutcome.Written"/>, or
    /// <see cref="FinishOutcome.Fenced"/> when another claim holds the row (nothing is written over it). While the
    /// database cannot be reached the outcome is kept and retried with backoff, its lease renewed meanwhile, until it
    /// is written (and during shutdown for a bounded while); at most one waits per job thread of this node.
    /// </summary>
    public async Task<FinishOutcome> FinishAsync(RunLease lease, string status, string? error, JobResult result, bool succeeded)
    {
        var waited = false;
        long? shutdownSeen = null;
        try
        {
            var outcome = await RetryWhileUnreachableAsync(
                async () =>
                {
                    if (lease.Lost)
                    {
                        return Fenced(lease, status);
                    }

                    var written = await runs.FinishAsync(
                        lease.ExecutionId, lease.Token, status, error, result, time.GetUtcNow(), CancellationToken.None, succeeded ? runner.Id : null);
                    return written ? FinishOutcome.Written : Fenced(lease, status);
                },
                keepTrying: () =>
                {
                    if (running.ShuttingDown)
                    {
                        shutdownSeen ??= time.GetTimestamp();
                        return time.GetElapsedTime(shutdownSeen.Value) <= OutcomeRetryAfterShutdown;
                    }

                    return true;
                },
                unreachable: ex =>
                {
                    if (!waited)
                    {
                        waited = true;
                        running.OutcomeWaits();
                        LogOutcomeWaits(ex, lease.ExecutionId, status);
                    }
                },
                CancellationToken.None);
            if (waited)
            {
                LogOutcomeWritten(lease.ExecutionId, status);
            }

            return outcome;
        }
        catch (Exception ex) when (DatabaseContact.IsUnreachable(ex))
        {
            LogOutcomeAbandoned(lease.ExecutionId, status);
            return FinishOutcome.NotWritten;
        }
        finally
        {
            if (waited)
            {
                running.OutcomeSettled();
            }

            running.Remove(lease.ExecutionId);
        }
    }

    private FinishOutcome Fenced(RunLease lease, string status)
    {
        if (lease.MarkLost())
        {
            telemetry.LeaseLost(lease.JobType);
        }

        LogFenced(lease.ExecutionId, lease.JobType, status, lease.Token);
        return FinishOutcome.Fenced;
    }

    /// <summary>Lets a run go without an outcome (its claim is over): its lease is no longer renewed.</summary>
    public void Release(RunLease lease) => running.Remove(lease.ExecutionId);

    // ---- recovered -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Ends "runner lost" every running row whose lease has expired, once this node has reached the database steadily
    /// for <see cref="RecoveryOptions.TakeoverGrace"/> (after an outage, live owners renew first).
    /// </summary>
    public async Task<IReadOnlyList<LostExecution>> SweepExpiredAsync(CancellationToken cancellationToken)
    {
        if (!contact.SteadyFor(Settings.TakeoverGrace))
        {
            return [];
        }

        var lost = await runs.SweepExpiredAsync(Settings.Lease, time.GetUtcNow(), cancellationToken);
        foreach (var execution in lost)
        {
            telemetry.Lost(execution.JobType);
            LogRunnerLost(execution.Id, execution.JobType, execution.RunnerId);
        }

        return lost;
    }

    /// <summary>
    /// Runs <paramref name="action"/>, trying again with backoff (0.25 s doubling to 5 s) while the database cannot be reached
    /// and <paramref name="keepTrying"/> says so; <paramref name="unreachable"/> hears of each failure.
    /// </summary>
    private async Task<T> RetryWhileUnreachableAsync<T>(Func<Task<T>> action, Func<bool> keepTrying, Action<Exception> unreachable, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                var result = await action();
                contact.Reached();
                return result;
            }
            catch (Exception ex) when (DatabaseContact.IsUnreachable(ex) && keepTrying() && !cancellationToken.IsCancellationRequested)
            {
                contact.Failed();
                unreachable(ex);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not hand execution {ExecutionId} of {JobType} to the scheduler; recorded it failed")]
    private partial void LogSubmitFailed(Exception exception, Guid executionId, string jobType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {ExecutionId} of {JobType} is no longer pending; not running it")]
    private partial void LogNotPending(string jobType, Guid executionId);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the leases of {Count} run(s): the database cannot be reached; trying again at the next heartbeat")]
    private partial void LogRenewFailed(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost the lease on execution {ExecutionId} of {JobType} (token {Token}): {Why}; interrupting it here and writing nothing more for it")]
    private partial void LogLeaseLost(Guid executionId, string jobType, long token, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not interrupt execution {ExecutionId} after losing its lease")]
    private partial void LogInterruptFailed(Exception exception, Guid executionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outcome {Status} of execution {ExecutionId} of {JobType} not written: another node holds the run (this node's token {Token} was replaced)")]
    private partial void LogFenced(Guid executionId, string jobType, string status, long token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} ended {Status}, but the database cannot be reached; keeping the outcome and trying again")]
    private partial void LogOutcomeWaits(Exception exception, Guid executionId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {ExecutionId}: its {Status} outcome, kept while the database could not be reached, is written")]
    private partial void LogOutcomeWritten(Guid executionId, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId}: its {Status} outcome could not be written before shutdown; its lease will expire and the run is recovered")]
    private partial void LogOutcomeAbandoned(Guid executionId, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database cannot be reached to claim a firing of {JobType}; trying again shortly")]
    private partial void LogClaimWaits(Exception exception, string jobType);

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
