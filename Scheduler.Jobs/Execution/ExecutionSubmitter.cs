using System.Diagnostics;
using Quartz;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Hands a recorded execution to the cluster: a one-shot Quartz trigger named after the execution, so
/// that whether the hand-over landed can be checked later, and a repeated hand-over is a no-op.
/// </summary>
public sealed class ExecutionSubmitter(ISchedulerFactory schedulers, TimeProvider time)
{
    public const string TriggerGroup = "runs";

    public static TriggerKey TriggerKeyOf(Guid executionId) => new($"run-{executionId}", TriggerGroup);

    /// <summary>Schedules <paramref name="executionId"/> of <paramref name="definition"/> to run at <paramref name="startAt"/> (now if null).</summary>
    public async Task SubmitAsync(JobDefinition definition, Guid executionId, DateTimeOffset? startAt, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var builder = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyOf(executionId))
            .ForJob(definition.JobKey)
            .UsingJobData(ExecutionData.ExecutionIdKey, executionId.ToString());
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent })
        {
            builder = builder.UsingJobData(ExecutionData.TraceParentKey, traceParent);
        }

        var trigger = builder
            .StartAt(startAt ?? time.GetUtcNow())
            .WithDescription($"execution {executionId} of {definition.Name}")
            .Build();
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, cancellationToken);
    }

    /// <summary>How long a recovery waits before trying again when its type is busy.</summary>
    public static readonly TimeSpan RecoveryRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Tries the recovery of lost execution <paramref name="orphanId"/> again at <paramref name="at"/>: a one-shot trigger,
    /// one per lost run (a second hand-over while one waits is a no-op), that the recording middleware treats as
    /// Quartz's own recovery firing.
    /// </summary>
    public async Task SubmitRecoveryAsync(JobDefinition definition, Guid orphanId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var trigger = TriggerBuilder.Create()
            .WithIdentity(new TriggerKey($"recover-{orphanId}", TriggerGroup))
            .ForJob(definition.JobKey)
            .UsingJobData(ExecutionData.RecoverKey, orphanId.ToString())
            .StartAt(at)
            .WithDescription($"recovery of lost execution {orphanId} of {definition.Name}")
            .Build();
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, cancellationToken);
    }

    /// <summary>Whether the execution's trigger is in the store (scheduled, or firing now).</summary>
    public async Task<bool> IsSubmittedAsync(Guid executionId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await scheduler.Exists(TriggerKeyOf(executionId), cancellationToken);
    }
}
