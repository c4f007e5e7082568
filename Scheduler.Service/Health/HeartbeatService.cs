using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Service.Health;

/// <summary>
/// The runbooks' heartbeat: while this node's scheduler runs (started, not on standby), it writes its
/// <c>jobs-runner</c> row every <see cref="HeartbeatOptions.Interval"/>. A node whose scheduler stopped stops
/// beating, so <c>/readyz</c> and <c>job_heartbeat_age_seconds</c> show it. Each beat also refreshes the
/// <see cref="JobHealthSnapshot"/> the metrics read (the job types' rows and their triggers).
/// </summary>
internal sealed partial class HeartbeatService(
    ISchedulerFactory schedulers,
    JobTypeHealthStore heartbeats,
    JobCatalog catalog,
    JobHealthSnapshot snapshot,
    RunnerIdentity runner,
    TimeProvider time,
    IOptions<HeartbeatOptions> options,
    ILogger<HeartbeatService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var beat = false;
            try
            {
                beat = await BeatAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogBeatFailed(ex);
            }

            // Until the scheduler runs (start-up, standby), look again within a second, so the first beat is not a whole interval late.
            await Task.Delay(beat ? interval : TimeSpan.FromTicks(Math.Min(interval.Ticks, TimeSpan.TicksPerSecond)), time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the heartbeat if the scheduler runs, and refreshes the snapshot; whether it beat.</summary>
    private async Task<bool> BeatAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var running = await scheduler.GetStatus(cancellationToken) == SchedulerStatus.Running;
        if (running)
        {
            var now = time.GetUtcNow();
            await heartbeats.BeatAsync(runner.Id, now, cancellationToken);
            snapshot.HeartbeatWritten(now, schedulerRunning: true);
        }
        else
        {
            snapshot.SchedulerStopped();
        }

        var rows = (await heartbeats.ListAsync(cancellationToken)).Where(r => r.Name != JobTypeHealthStore.RunnerRow).ToDictionary(r => r.Name);
        var types = new Dictionary<string, JobTypeHealth>(StringComparer.Ordinal);
        foreach (var definition in catalog.All)
        {
            var trigger = definition.RunsOnSchedule ? await scheduler.GetTrigger(definition.CronTriggerKey, cancellationToken) : null;
            var paused = trigger is not null && await scheduler.GetTriggerState(definition.CronTriggerKey, cancellationToken) == TriggerState.Paused;
            rows.TryGetValue(definition.Name, out var row);
            types[definition.Name] = new JobTypeHealth(
                row?.LastSuccessAt is { } success ? new DateTimeOffset(DateTime.SpecifyKind(success, DateTimeKind.Utc)) : null,
                row?.ConsecutiveFailures ?? 0,
                paused,
                ExpectedInterval(trigger));
        }

        snapshot.Replace(types);
        return running;
    }

    /// <summary>The time between the trigger's next two fires.</summary>
    internal static TimeSpan? ExpectedInterval(ITrigger? trigger) =>
        trigger?.NextFireTimeUtc is { } next && trigger.GetFireTimeAfter(next) is { } after ? after - next : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write this node's heartbeat; trying again at the next beat")]
    private partial void LogBeatFailed(Exception exception);
}
