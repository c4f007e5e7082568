using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.DeadLetters;
using Scheduler.Jobs.Scheduling;
using Scheduler.Service.Scheduling;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Service.Health;

/// <summary>
/// The runbooks' heartbeat: while this node's scheduler runs (started, not on standby), it writes its
/// <c>jobs-runner</c> row every <see cref="HeartbeatOptions.Interval"/>. A node whose scheduler stopped stops
/// beating, so <c>/readyz</c> and <c>job_heartbeat_age_seconds</c> show it. Each beat also refreshes the
/// <see cref="JobHealthSnapshot"/> the metrics read (the job types' rows and their triggers, and the latest dead-letter depth sample). Everything it reads and
/// writes goes through the background pool, so no amount of API traffic delays a beat.
/// </summary>
internal sealed partial class HeartbeatService(
    ISchedulerFactory schedulers,
    [FromKeyedServices(SchedulerDataSources.Background)] JobTypeHealthStore heartbeats,
    [FromKeyedServices(SchedulerDataSources.Background)] ScheduleManager schedules,
    [FromKeyedServices(SchedulerDataSources.Background)] ScheduleStore store,
    [FromKeyedServices(SchedulerDataSources.Background)] DlqDepthStore deadLetters,
    JobHealthSnapshot snapshot,
    RunnerIdentity runner,
    TimeProvider time,
    IOptions<HeartbeatOptions> options,
    IOptions<SchedulerOptions> scheduling,
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
        var now = time.GetUtcNow();
        if (running)
        {
            await heartbeats.BeatAsync(runner.Id, now, cancellationToken);
            snapshot.HeartbeatWritten(now, schedulerRunning: true);
        }
        else
        {
            snapshot.SchedulerStopped();
        }

        var rows = (await heartbeats.ListAsync(cancellationToken)).Where(r => r.Name != JobTypeHealthStore.RunnerRow).ToDictionary(r => r.Name);
        var triggers = await schedules.CronTriggersAsync(cancellationToken);
        var effective = await schedules.EffectiveAsync(cancellationToken);

        // The dead-man's switch: each scheduled, unpaused type's last occurrence due (a grace ago). Occurrences from
        // before this node watched, or before the trigger (re)started, are not held against the type.
        var due = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var schedule in effective.Where(s => s.Runs && s.Problem is null && triggers.GetValueOrDefault(s.Definition.Name)?.State != TriggerState.Paused))
        {
            var since = triggers.GetValueOrDefault(schedule.Definition.Name)?.StartTimeUtc is { } start && start > snapshot.StartedAt ? start : snapshot.StartedAt;
            if (Occurrences.LastAtOrBefore(schedule.Cron, schedule.TimeZone, now - scheduling.Value.MissedRunGrace) is { } occurrence && occurrence >= since)
            {
                due[schedule.Definition.Name] = occurrence;
            }
        }

        var recorded = await store.RecordedAmongAsync(due, cancellationToken);
        var types = new Dictionary<string, JobTypeHealth>(StringComparer.Ordinal);
        foreach (var schedule in effective)
        {
            var name = schedule.Definition.Name;
            var paused = triggers.GetValueOrDefault(name)?.State == TriggerState.Paused;
            rows.TryGetValue(name, out var row);
            var lastSuccess = row?.LastSuccessAt;
            var interval = schedule.Runs && schedule.Problem is null ? ExpectedInterval(schedule, now) : null;
            string? overdue = null;
            if (due.TryGetValue(name, out var missed) && !recorded.Contains(name))
            {
                overdue = $"the occurrence due at {missed:o} was not recorded";
            }
            else if (schedule.Runs && !paused && interval is { } every && lastSuccess is { } last && now - last > 2 * every)
            {
                overdue = $"no success since {last:o}, more than twice its interval of {every}";
            }

            types[name] = new JobTypeHealth(lastSuccess, row?.ConsecutiveFailures ?? 0, paused, interval, overdue, schedule.Problem?.Reason);
        }

        snapshot.Replace(types);
        snapshot.DeadLettersSampled(await deadLetters.LatestAsync(cancellationToken));
        return running;
    }

    /// <summary>The time between the schedule's next two fires.</summary>
    private static TimeSpan? ExpectedInterval(EffectiveSchedule schedule, DateTimeOffset now) =>
        ScheduleProjection.Compute(schedule.Cron, schedule.TimeZone, now, 2).ExpectedInterval;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write this node's heartbeat; trying again at the next beat")]
    private partial void LogBeatFailed(Exception exception);
}
