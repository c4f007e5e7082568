using Quartz;

namespace Scheduler.Jobs.Catalog;

/// <summary>A job type the scheduler knows: its name, what it does, the class that runs it, its default schedule.</summary>
public sealed record JobDefinition(string Name, string Description, Type JobClass, string DefaultCron, string DefaultTimeZone = "UTC")
{
    /// <summary>The durable Quartz job every trigger of this type fires.</summary>
    public JobKey JobKey { get; } = new(Name, JobCatalog.JobGroup);

    /// <summary>The type's one cron trigger.</summary>
    public TriggerKey CronTriggerKey { get; } = new(Name, JobCatalog.CronTriggerGroup);
}
