using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.DeadLetters;

/// <summary><c>dlq_depth</c> as the catalog lists it; settings in <see cref="DlqDepthOptions"/>.</summary>
public static class DlqDepthType
{
    public static WorkflowType Definition { get; } = new WorkflowType<DlqDepthJob, DlqDepthOptions>
    {
        Name = JobTypes.DlqDepth,
        Description = "Samples the core API's dead-letter depth per kind (GET /v1/admin/queue/dlq?kind=all&limit=1); every node exports the latest sample as scheduler_dlq_depth.",
        Cron = "0 0/5 * * * ?",
        Timeout = TimeSpan.FromMinutes(2),
        // A sample missed is replaced by the next one in five minutes: retrying an old one adds nothing.
        Retry = Quartz.RetryPolicy.None,
        // Older than the next sample, an occurrence is not worth taking.
        MisfireGrace = TimeSpan.FromMinutes(4),
        Services = [ServiceNames.CoreApi],
    };
}

/// <summary>Settings of <c>dlq_depth</c>, from <c>Jobs:dlq_depth</c>: only those every type takes (schedule, timeout, alert thresholds).</summary>
public sealed class DlqDepthOptions;
