using System.Globalization;
using Quartz;
using Quartz.Extensibility;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// A named schedule as Quartz triggers: its own trigger (cron or simple, with the misfire instruction its policy
/// maps to), the one-shot trigger that carries one occurrence (jittered, or deferred while the type is busy), and
/// its next fire times.
/// </summary>
public static class NamedScheduleTriggers
{
    /// <summary>The schedule's own trigger, firing <paramref name="job"/>.</summary>
    /// <exception cref="ArgumentException">The schedule cannot be put into Quartz (validation lets none through).</exception>
    public static ITrigger Build(NamedSchedule schedule, JobKey job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var data = new JobDataMap
        {
            [ScheduleData.ScheduleKey] = schedule.Name,
            [ScheduleData.JitterKey] = schedule.JitterMs.ToString(CultureInfo.InvariantCulture),
            [ScheduleData.MisfirePolicyKey] = schedule.MisfirePolicy,
        };
        if (schedule.CatchUpLimit is { } limit)
        {
            data[ScheduleData.CatchUpLimitKey] = limit.ToString(CultureInfo.InvariantCulture);
        }

        if (schedule.Parameters is { } parameters)
        {
            data[ExecutionData.ParametersKey] = parameters;
        }

        var builder = TriggerBuilder.Create()
            .WithIdentity(schedule.TriggerKey)
            .ForJob(job)
            .UsingJobData(data)
            .WithDescription(Truncate($"{schedule.JobType} on its schedule '{schedule.Name}'"));
        if (schedule.Kind == NamedSchedule.CronKind)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
            builder = builder.StartAt(schedule.StartsAt is { } start && start > now ? start : now)
                .WithCronSchedule(schedule.Cron!, c => c.InTimeZone(zone).WithMisfireInstruction(schedule.MisfirePolicy switch
                {
                    MisfirePolicies.Skip => CronTriggerMisfireInstruction.DoNothing,
                    MisfirePolicies.CatchUp => CronTriggerMisfireInstruction.IgnoreMisfires,
                    _ => CronTriggerMisfireInstruction.FireAndProceed,
                }));
        }
        else
        {
            var interval = schedule.Interval ?? throw new ArgumentException($"'{schedule.IntervalText}' is not an interval", nameof(schedule));
            // A start in the past keeps its phase: the first fire is its next grid point, not a misfire now.
            var first = schedule.StartsAt is { } start
                ? start >= now ? start : start + (interval * Math.Ceiling((now - start) / interval))
                : now + interval;
            builder = builder.StartAt(first)
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(schedule.MisfirePolicy switch
                {
                    MisfirePolicies.Skip => SimpleTriggerMisfireInstruction.NextWithRemainingCount,
                    MisfirePolicies.CatchUp => SimpleTriggerMisfireInstruction.IgnoreMisfires,
                    _ => SimpleTriggerMisfireInstruction.NowWithExistingCount,
                }));
        }

        if (schedule.EndsAt is { } end)
        {
            builder = builder.EndAt(end);
        }

        return builder.Build();
    }

    /// <summary>
    /// A one-shot trigger at <paramref name="at"/> that runs <paramref name="occurrence"/> of <paramref name="firing"/>'s
    /// schedule, with the jitter drawn for it. Its key is derived from the occurrence (and the attempt), so writing it
    /// twice keeps one.
    /// </summary>
    public static ITrigger Occurrence(JobKey job, string jobType, ScheduleFiring firing, DateTimeOffset occurrence, DateTimeOffset at, int drawnJitterMs, int attempt)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(firing);
        var data = new JobDataMap
        {
            [ScheduleData.ScheduleKey] = firing.Schedule,
            [ScheduleData.JitterKey] = firing.JitterMs.ToString(CultureInfo.InvariantCulture),
            [ScheduleData.MisfirePolicyKey] = firing.MisfirePolicy,
            [ScheduleData.OccurrenceKey] = occurrence.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            [ScheduleData.DrawnJitterKey] = drawnJitterMs.ToString(CultureInfo.InvariantCulture),
            [ScheduleData.AttemptKey] = attempt.ToString(CultureInfo.InvariantCulture),
        };
        if (firing.CatchUpLimit is { } limit)
        {
            data[ScheduleData.CatchUpLimitKey] = limit.ToString(CultureInfo.InvariantCulture);
        }

        if (firing.Parameters is { } parameters)
        {
            data[ExecutionData.ParametersKey] = parameters;
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"{jobType}/{firing.Schedule}/{occurrence.ToUnixTimeMilliseconds()}/{attempt}");
        return TriggerBuilder.Create()
            .WithIdentity(name, NamedSchedule.OccurrenceGroup)
            .ForJob(job)
            .UsingJobData(data)
            .StartAt(at)
            // However late it fires, it still runs its one occurrence.
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
    }

    /// <summary>Whether the schedule fires at all from <paramref name="now"/> on: Quartz's own "will never fire" check.</summary>
    public static bool FiresAgain(NamedSchedule schedule, DateTimeOffset now)
    {
        var trigger = (IOperableTrigger)Build(schedule, new JobKey("validation", "validation"), now);
        return trigger.ComputeFirstFireTimeUtc(null) is not null;
    }

    /// <summary>
    /// The next <paramref name="count"/> fire times after <paramref name="now"/>: from <paramref name="nextFire"/> (the
    /// trigger's own, when it exists) for an interval, from the expression for a cron schedule.
    /// </summary>
    public static IReadOnlyList<FireTime> Upcoming(
        string kind, string? cron, TimeSpan? interval, DateTimeOffset? startsAt, DateTimeOffset? endsAt, string timeZone, DateTimeOffset now, int count,
        DateTimeOffset? nextFire = null)
    {
        if (!ScheduleProjection.TryGetTimeZone(timeZone, out var zone, out _))
        {
            return [];
        }

        var from = startsAt is { } start && start > now ? start.AddSeconds(-1) : now;
        IEnumerable<(DateTimeOffset Utc, bool Dst)> times;
        if (kind == NamedSchedule.CronKind && cron is not null)
        {
            times = ScheduleProjection.Compute(cron, zone, from, ScheduleProjection.MaxCount).FireTimes.Select(f => (f.Utc, f.DstTransition));
        }
        else if (interval is { } every && every > TimeSpan.Zero)
        {
            var first = nextFire ?? (startsAt is { } s
                ? s >= now ? s : s + (every * Math.Ceiling((now - s) / every))
                : now + every);
            times = Enumerable.Range(0, count).Select(i => (first + (every * i), false));
        }
        else
        {
            return [];
        }

        return [.. times.Where(t => endsAt is not { } end || t.Utc <= end).Take(count)
            .Select(t => new FireTime(t.Utc.ToUniversalTime(), TimeZoneInfo.ConvertTime(t.Utc, zone), t.Dst))];
    }

    private static string Truncate(string text) => text.Length <= 120 ? text : text[..120];
}
