using Quartz;

namespace Scheduler.Jobs.Execution;

/// <summary>What the recording middleware hands a job through its merged job data.</summary>
public static class ExecutionData
{
    /// <summary>The <c>scheduled_jobs.id</c> of the execution being run.</summary>
    public const string ExecutionIdKey = "executionId";

    /// <summary>The first attempt of the run being executed (itself on a first attempt).</summary>
    public const string RootIdKey = "rootId";

    /// <summary>The fencing token of this node's lease on the run (<c>scheduled_jobs.lease_token</c>); the run's writes name it.</summary>
    public const string LeaseTokenKey = "leaseToken";

    /// <summary>On a trigger that tries a lost run's recovery again (its type was busy the first time): the lost execution's id.</summary>
    public const string RecoverKey = "recover";

    /// <summary>The run's parameters as JSON, as the trigger request gave them (validated against the catalog).</summary>
    public const string ParametersKey = "parameters";

    /// <summary>The whole-number parameter <paramref name="name"/> this run was given, or <paramref name="fallback"/> (the configured setting).</summary>
    public static int Parameter(this IJobExecutionContext context, string name, int fallback)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.MergedJobDataMap.TryGetString(ParametersKey, out var json) || string.IsNullOrEmpty(json))
        {
            return fallback;
        }

        using var parameters = System.Text.Json.JsonDocument.Parse(json);
        return parameters.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
            && parameters.RootElement.TryGetProperty(name, out var value) && value.TryGetInt32(out var number)
            ? number
            : fallback;
    }

    /// <summary>The list of names <paramref name="name"/> this run was given, or <paramref name="fallback"/>.</summary>
    public static IReadOnlyList<string> Parameter(this IJobExecutionContext context, string name, IReadOnlyList<string> fallback)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.MergedJobDataMap.TryGetString(ParametersKey, out var json) || string.IsNullOrEmpty(json))
        {
            return fallback;
        }

        using var parameters = System.Text.Json.JsonDocument.Parse(json);
        return parameters.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
            && parameters.RootElement.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.Array
            ? [.. value.EnumerateArray().Where(v => v.ValueKind == System.Text.Json.JsonValueKind.String).Select(v => v.GetString()!)]
            : fallback;
    }

    /// <summary>The W3C trace context of the request that submitted the run, so its trace continues into the job.</summary>
    public const string TraceParentKey = "traceparent";

    /// <summary>The id of the execution this firing records, once the middleware has claimed it.</summary>
    public static Guid? GetExecutionId(this IJobExecutionContext context) =>
        context.MergedJobDataMap.TryGetString(ExecutionIdKey, out var value) && Guid.TryParse(value, out var id) ? id : null;

    /// <summary>
    /// An idempotency key for one effect of this run: <c>&lt;job type&gt;:&lt;first attempt's id&gt;[:&lt;part&gt;]</c>.
    /// Every attempt of a run, retried or recovered, derives the same keys, so a downstream service that
    /// honours them applies each effect once.
    /// </summary>
    public static string IdempotencyKey(this IJobExecutionContext context, string? part = null)
    {
        var execution = (context.MergedJobDataMap.TryGetString(RootIdKey, out var root) ? root : null)
            ?? context.GetExecutionId()?.ToString() ?? context.FireInstanceId;
        var key = $"{context.JobDetail.Key.Name}:{execution}";
        return part is null ? key : $"{key}:{part}";
    }
}
