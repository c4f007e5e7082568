using Quartz;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.HttpCalls;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Wraps every job: claims the execution's row before the job runs (<see cref="RunClaims"/>: a lease and fencing
/// token) and writes how it ended after (<see cref="RunOutcomes"/>, only under that lease).
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
/// Around the job: its log kept (<see cref="ExecutionLogFlusher"/>), its span and metrics (<see cref="RunTelemetry"/>),
/// its budget (<see cref="RunDeadlines"/>); after it, its outcome written (<see cref="RunOutcomes"/>), and what a
/// failure brings, a retry or a paused schedule, decided by <see cref="FailurePolicy"/>.
/// </summary>
public sealed class ExecutionRecordingMiddleware(
    RunClaims claims,
    JobCatalog catalog,
    HttpCallTypeControl types,
    ExecutionLogFlusher logs,
    RunTelemetry telemetry,
    RunDeadlines deadlines,
    RunOutcomes outcomes) : IJobExecutionMiddleware
{
    public async ValueTask Invoke(IJobExecutionContext context, JobExecutionDelegate next, CancellationToken cancellationToken)
    {
        await types.RunStartingAsync(context.JobDetail.Key.Name, cancellationToken);
        catalog.TryGet(context.JobDetail.Key.Name, out var definition);
        if (await claims.ClaimAsync(context, definition, cancellationToken) is not var (claimed, lease))
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

        try
        {
            // Everything logged from here on, by the job or around it, is also the run's own log.
            await using var flushing = logs.Start(lease);
            await RunClaimedAsync(context, next, definition, claimed, lease, cancellationToken);
        }
        finally
        {
            claims.Release(lease);
        }
    }

    private async Task RunClaimedAsync(
        IJobExecutionContext context, JobExecutionDelegate next, JobDefinition? definition, ClaimedRun claimed, RunLease lease, CancellationToken cancellationToken)
    {
        using var observation = telemetry.Start(context, claimed);
        var run = new ClaimedRunContext(context, definition, claimed, lease, observation);
        using var deadline = deadlines.Start(context, claimed.Id, definition?.Timeout);
        try
        {
            await next(context, cancellationToken);
        }
        catch (OperationCanceledException) when (lease.Lost)
        {
            // Another node took the run over: this node stopped it and writes nothing over the new owner.
            observation.TakenOver();
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && deadline.Passed)
        {
            throw await outcomes.TimedOutAsync(run, deadline.Budget!.Value);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Rethrown: on shutdown, Quartz hands a recoverable job's firing back for recovery on another node.
            await outcomes.CancelledAsync(run);
            throw;
        }
        catch (Exception ex)
        {
            await outcomes.ThrewAsync(run, ex);
            throw;
        }

        await outcomes.ReturnedAsync(run);
    }
}
