using System.Diagnostics;
using Quartz;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Hands a recorded execution to the cluster: a one-shot Quartz trigger named after the execution, so
/// that whether the hand-over landed can be checked later, and a repeated hand-over is a no-op.
/// </summary>
public sealed class ExecutionSubmitter(ISchedulerFactory schedulers)
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
            .StartAt(startAt ?? DateTimeOffset.UtcNow)
            .WithDescription($"execution {executionId} of {definition.Name}")
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
