using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Notifications;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// The leases this node holds on the runs it claimed: renewed together (and while an outcome waits for the
/// database), given up at once when another node's claim replaced one, and ended by a finishing write that only the
/// lease holder can make.
/// </summary>
public sealed partial class RunLeases(
    RunStore runs,
    RunningExecutions running,
    DatabaseContact contact,
    ISchedulerFactory schedulers,
    SchedulerTelemetry telemetry,
    RunnerIdentity runner,
    NotificationWake notifications,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<RunLeases> logger)
{
    /// <summary>After shutdown has begun, how much longer an outcome waiting for the database is tried.</summary>
    private static readonly TimeSpan OutcomeRetryAfterShutdown = TimeSpan.FromSeconds(15);

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
            renewed = await runs.RenewAsync(leases, options.Value.Lease, time.GetUtcNow(), cancellationToken);
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

    /// <summary>
    /// Writes how the run ended, fenced by its lease: <see cref="FinishOutcome.Written"/>, or
    /// <see cref="FinishOutcome.Fenced"/> when another claim holds the row (nothing is written over it). While the
    /// database cannot be reached the outcome is kept and retried with backoff, its lease renewed meanwhile, until it
    /// is written (and during shutdown for a bounded while); at most one waits per job thread of this node.
    /// </summary>
    public async Task<FinishOutcome> FinishAsync(RunLease lease, ExecutionStatus status, string? error, JobResult result, bool succeeded)
    {
        var statusText = status.ToText();
        // What the run logged since the last flush goes with its outcome, on every attempt until one lands.
        var lines = lease.Log.Take();
        var waited = false;
        long? shutdownSeen = null;
        try
        {
            var outcome = await contact.RetryWhileUnreachableAsync(time, 
                async () =>
                {
                    if (lease.Lost)
                    {
                        return Fenced(lease, status);
                    }

                    var written = await runs.FinishAsync(
                        lease.ExecutionId, lease.Token, status, error, result, lines, time.GetUtcNow(), CancellationToken.None, succeeded ? runner.Id : null);
                    if (written.NotificationsQueued > 0)
                    {
                        // Sent by this node's dispatcher at once, outside the run.
                        notifications.Signal();
                    }

                    return written.Written ? FinishOutcome.Written : Fenced(lease, status);
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
                        LogOutcomeWaits(ex, lease.ExecutionId, statusText);
                    }
                },
                CancellationToken.None);
            if (waited)
            {
                LogOutcomeWritten(lease.ExecutionId, statusText);
            }

            return outcome;
        }
        catch (Exception ex) when (DatabaseContact.IsUnreachable(ex))
        {
            LogOutcomeAbandoned(lease.ExecutionId, statusText);
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

    private FinishOutcome Fenced(RunLease lease, ExecutionStatus status)
    {
        if (lease.MarkLost())
        {
            telemetry.LeaseLost(lease.JobType);
        }

        LogFenced(lease.ExecutionId, lease.JobType, status.ToText(), lease.Token);
        return FinishOutcome.Fenced;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the leases of {Count} run(s): the database cannot be reached; trying again at the next renewal")]
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
}
