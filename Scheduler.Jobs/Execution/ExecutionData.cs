using Quartz;

namespace Scheduler.Jobs.Execution;

/// <summary>What the recording middleware hands a job through its merged job data.</summary>
public static class ExecutionData
{
    /// <summary>The <c>scheduled_jobs.id</c> of the execution being run.</summary>
    public const string ExecutionIdKey = "executionId";

    /// <summary>The id of the execution this firing records, once the middleware has claimed it.</summary>
    public static Guid? GetExecutionId(this IJobExecutionContext context) =>
        context.MergedJobDataMap.TryGetString(ExecutionIdKey, out var value) && Guid.TryParse(value, out var id) ? id : null;

    /// <summary>
    /// An idempotency key for one effect of this execution: <c>&lt;job type&gt;:&lt;execution id&gt;[:&lt;part&gt;]</c>.
    /// The same execution, resumed or recovered, derives the same keys, so a downstream service that
    /// honours them applies each effect once.
    /// </summary>
    public static string IdempotencyKey(this IJobExecutionContext context, string? part = null)
    {
        var execution = context.GetExecutionId()?.ToString() ?? context.FireInstanceId;
        var key = $"{context.JobDetail.Key.Name}:{execution}";
        return part is null ? key : $"{key}:{part}";
    }
}
