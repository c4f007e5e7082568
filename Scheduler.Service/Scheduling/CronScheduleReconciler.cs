using Npgsql;
using Quartz;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Schedules as code: at start-up, makes Quartz's cron triggers match configuration. New types are scheduled,
/// types no longer in the catalog are unscheduled, changed schedules replaced; an unchanged trigger is left
/// alone, so a restart does not disturb the next fire time the cluster already computed. A run-time override
/// is kept and reported as drift, never silently overwritten or lost. Replicas starting together take turns
/// under an advisory lock (the one schedule changes take too), so the first reconciles and the rest find nothing
/// to change. One bad stored schedule (an override that never fires again or names an unknown zone, written by an
/// older version or by hand) never stops the node: that type keeps whatever trigger it has, is logged at Error,
/// and shows as invalid in the API, <c>/readyz</c> and <c>scheduler_schedule_invalid</c>.
/// </summary>
internal sealed partial class CronScheduleReconciler(
    ISchedulerFactory schedulers,
    NpgsqlDataSource dataSource,
    JobCatalog catalog,
    ScheduleManager schedules,
    ILogger<CronScheduleReconciler> logger) : IHostedService
{
    private const string LockSql = "SELECT pg_advisory_lock(@ScheduleLock)";

    private const string UnlockSql = "SELECT pg_advisory_unlock(@ScheduleLock)";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(LockSql, new { ScheduleStore.ScheduleLock }, cancellationToken);
        try
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            foreach (var schedule in await schedules.EffectiveAsync(cancellationToken))
            {
                var name = schedule.Definition.Name;
                if (schedule.Problem is { } problem)
                {
                    LogInvalid(name, schedule.Cron, schedule.TimeZone, schedule.Source, problem.Reason, await KeptAsync(scheduler, schedule.Definition, cancellationToken));
                    continue;
                }

                try
                {
                    await schedules.ApplyAsync(schedule, cancellationToken);
                }
                catch (SchedulerException ex) when (ex is not JobPersistenceException)
                {
                    // Validation should have caught it; whatever Quartz still refuses must not stop the node either.
                    LogRefused(ex, name, schedule.Cron, schedule.TimeZone, schedule.Source, await KeptAsync(scheduler, schedule.Definition, cancellationToken));
                    continue;
                }

                if (schedule.Drift)
                {
                    var change = schedule.Override!;
                    LogDrift(schedule.Definition.Name, change.Cron, change.TimeZone, change.Enabled, change.ChangedBy, change.ChangedAt,
                        schedule.Definition.Cron, schedule.Definition.TimeZone, schedule.Definition.Scheduled);
                }
            }

            await UnscheduleRemovedTypesAsync(cancellationToken);
        }
        finally
        {
            await connection.ExecuteAsync(UnlockSql, new { ScheduleStore.ScheduleLock }, CancellationToken.None);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>What the type fires on meanwhile: the trigger already in the store, if any.</summary>
    private static async Task<string> KeptAsync(IScheduler scheduler, JobDefinition definition, CancellationToken cancellationToken) =>
        await scheduler.GetTrigger(definition.CronTriggerKey, cancellationToken) is ICronTrigger kept
            ? $"its existing trigger stays: '{kept.CronExpressionString}' in {kept.TimeZone.Id}"
            : "it has no trigger, so it does not fire";

    /// <summary>Cron triggers, and their durable jobs, of types this configuration no longer has.</summary>
    private async Task UnscheduleRemovedTypesAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var triggers = await scheduler.QueryTriggers(new TriggerQuery { Group = GroupMatcher<TriggerKey>.GroupEquals(JobCatalog.CronTriggerGroup) }, cancellationToken);
        foreach (var trigger in triggers.Items.Where(t => !catalog.TryGet(t.Key.Name, out _)))
        {
            await scheduler.UnscheduleJob(trigger.Key, cancellationToken);
            await scheduler.DeleteJob(new JobKey(trigger.Key.Name, JobCatalog.JobGroup), cancellationToken);
            LogRemoved(trigger.Key.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule drift: {JobType} runs '{Cron}' in {TimeZone} (enabled: {Enabled}) as overridden by {ChangedBy} at {ChangedAt:o}; configuration says '{ConfiguredCron}' in {ConfiguredTimeZone} (enabled: {ConfiguredEnabled}). DELETE /api/schedules/<type>/override returns it to configuration.")]
    private partial void LogDrift(string jobType, string cron, string timeZone, bool enabled, string changedBy, DateTimeOffset changedAt,
        string configuredCron, string configuredTimeZone, bool configuredEnabled);

    [LoggerMessage(Level = LogLevel.Error, Message = "Invalid schedule for {JobType}, not applied: '{Cron}' in {TimeZone} (from {Source}): {Reason}; {Kept}. PUT /api/schedules/<type> with a valid schedule, or DELETE /api/schedules/<type>/override, repairs it.")]
    private partial void LogInvalid(string jobType, string cron, string timeZone, string source, string reason, string kept);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quartz refused the schedule for {JobType}: '{Cron}' in {TimeZone} (from {Source}); {Kept}")]
    private partial void LogRefused(Exception exception, string jobType, string cron, string timeZone, string source, string kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unscheduled {JobType}: no longer a job type in configuration")]
    private partial void LogRemoved(string jobType);
}
