using System.Globalization;
using Quartz;
using Quartz.Extensibility;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// Whether a schedule can go into Quartz's store: the cron expression is one <see cref="CronSyntax"/> accepts, the
/// zone is an IANA zone, and the trigger, built the way the scheduler builds it, has a fire time after now. The
/// last is Quartz's own "will never fire" check (<see cref="IOperableTrigger.ComputeFirstFireTimeUtc"/>); a
/// schedule that fails it is refused by <c>ScheduleTrigger</c>, so it must never be stored or applied.
/// </summary>
public static class ScheduleValidation
{
    public const string CronField = "cron";
    public const string TimeZoneField = "timeZone";

    /// <summary>What is wrong with <paramref name="cron"/> read in <paramref name="timeZone"/> at <paramref name="now"/>; null when nothing is. Never throws.</summary>
    public static ScheduleProblem? Check(string? cron, string? timeZone, DateTimeOffset now)
    {
        if (!CronSyntax.TryNormalize(cron, out var quartzCron, out var cronError))
        {
            return new ScheduleProblem(CronField, cronError ?? "Not a valid cron expression.");
        }

        if (!ScheduleProjection.TryGetTimeZone(timeZone, out var zone, out var zoneError))
        {
            return new ScheduleProblem(TimeZoneField, zoneError ?? "Not a known IANA time zone.");
        }

        try
        {
            var trigger = (IOperableTrigger)TriggerBuilder.Create()
                .WithIdentity("validation", "validation")
                .ForJob("validation", "validation")
                .StartAt(now)
                .WithCronSchedule(quartzCron, c => c.InTimeZone(zone))
                .Build();
            if (trigger.ComputeFirstFireTimeUtc(null) is not null)
            {
                return null;
            }

            var last = new CronExpression(quartzCron, zone).GetPreviousValidTimeBefore(now);
            return new ScheduleProblem(CronField, string.Create(CultureInfo.InvariantCulture,
                $"'{quartzCron}' never fires again: it has no fire time after {now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} in {zone.Id}" +
                $"{(last is { } at ? $" (its last was {at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ})" : "")}; check its year field."));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or SchedulerException)
        {
            return new ScheduleProblem(CronField, $"Quartz refuses '{quartzCron}' in {zone.Id}: {ex.Message}");
        }
    }
}

/// <summary>Why a schedule cannot be used.</summary>
/// <param name="Field">The field at fault, as the API names it: <c>cron</c> or <c>timeZone</c>.</param>
/// <param name="Reason">Why, for the person who set it.</param>
public sealed record ScheduleProblem(string Field, string Reason);
