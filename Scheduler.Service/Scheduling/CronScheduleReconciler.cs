using Dapper;
using Npgsql;
using Quartz;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Schedules as code: at start-up, makes Quartz's cron triggers match configuration. New types are scheduled,
/// types no longer in the catalog are unscheduled, changed schedules replaced; an unchanged trigger is left
/// alone, so a restart does not disturb the next fire time the cluster already computed. A run-time override
/// is kept and reported as drift, never silently overwritten or lost. Replicas starting together take turns
/// under an advisory lock, so the first reconciles and the rest find nothing to change.
/// </summary>
internal sealed partial class CronScheduleReconciler(
    ISchedulerFactory schedulers,
    NpgsqlDataSource dataSource,
    JobCatalog catalog,
    ScheduleManager schedules,
    ILogger<CronScheduleReconciler> logger) : IHostedService
{
    /// <summary>The advisory lock replicas take turns under (the migrations use 7005202501).</summary>
    private const long ReconcileLock = 7005202502;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@ReconcileLock)", new { ReconcileLock }, cancellationToken: cancellationToken));
        try
        {
            foreach (var schedule in await schedules.EffectiveAsync(cancellationToken))
            {
                await schedules.ApplyAsync(schedule, cancellationToken);
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
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@ReconcileLock)", new { ReconcileLock }, cancellationToken: CancellationToken.None));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
    private partial void LogDrift(string jobType, string cron, string timeZone, bool enabled, string changedBy, DateTime changedAt,
        string configuredCron, string configuredTimeZone, bool configuredEnabled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unscheduled {JobType}: no longer a job type in configuration")]
    private partial void LogRemoved(string jobType);
}
