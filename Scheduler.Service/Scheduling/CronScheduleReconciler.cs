using Quartz;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// At start-up, makes each job type's cron trigger in the shared store match configuration:
/// created when missing, replaced when its cron or time zone changed, removed when the type is
/// disabled or not scheduled. An unchanged trigger is left alone, so a node restarting does not disturb the
/// next fire time the cluster already computed.
/// </summary>
internal sealed partial class CronScheduleReconciler(
    ISchedulerFactory schedulers,
    JobCatalog catalog,
    ILogger<CronScheduleReconciler> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var definition in catalog.All)
        {
            var existing = await scheduler.GetTrigger(definition.CronTriggerKey, cancellationToken) as ICronTrigger;

            if (!definition.RunsOnSchedule)
            {
                if (existing is not null)
                {
                    await scheduler.UnscheduleJob(definition.CronTriggerKey, cancellationToken);
                    LogUnscheduled(definition.Name);
                }

                continue;
            }

            var cron = definition.Cron;
            var timeZone = definition.TimeZone;
            if (existing is not null && existing.CronExpressionString == cron && existing.TimeZone.Id == timeZone)
            {
                continue;
            }

            var trigger = TriggerBuilder.Create()
                .WithIdentity(definition.CronTriggerKey)
                .ForJob(definition.JobKey)
                .WithDescription($"{definition.Name} on its configured schedule")
                .WithCronSchedule(cron, c => c
                    .InTimeZone(TimeZoneInfo.FindSystemTimeZoneById(timeZone))
                    .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                .Build();

            // Keep: a node starting at the same moment already wrote the same trigger.
            await scheduler.ScheduleTrigger(trigger, existing is null ? TriggerConflict.Keep : TriggerConflict.Replace, cancellationToken);
            LogScheduled(definition.Name, cron, timeZone);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled {JobType}: '{Cron}' in {TimeZone}")]
    private partial void LogScheduled(string jobType, string cron, string timeZone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unscheduled {JobType}: disabled or not scheduled in configuration")]
    private partial void LogUnscheduled(string jobType);
}
