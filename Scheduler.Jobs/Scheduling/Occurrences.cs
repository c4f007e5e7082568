using Quartz;

namespace Scheduler.Jobs.Scheduling;

/// <summary>When a cron schedule fires, by Quartz's own reading of the expression in its time zone.</summary>
public static class Occurrences
{
    /// <summary>The fire times in [<paramref name="from"/>, <paramref name="to"/>), at most <paramref name="max"/> of them.</summary>
    public static IReadOnlyList<DateTimeOffset> Between(string cron, string timeZone, DateTimeOffset from, DateTimeOffset to, int max)
    {
        var expression = new CronExpression(cron, TimeZoneInfo.FindSystemTimeZoneById(timeZone));
        var found = new List<DateTimeOffset>();
        // Strictly after: one second back, so a fire time exactly at 'from' counts.
        var at = expression.GetNextValidTimeAfter(from.AddSeconds(-1));
        while (at is { } next && next < to && found.Count < max)
        {
            if (next >= from)
            {
                found.Add(next);
            }

            at = expression.GetNextValidTimeAfter(next);
        }

        return found;
    }

    /// <summary>The last fire time at or before <paramref name="at"/>, or null if there is none.</summary>
    public static DateTimeOffset? LastAtOrBefore(string cron, string timeZone, DateTimeOffset at)
    {
        var expression = new CronExpression(cron, TimeZoneInfo.FindSystemTimeZoneById(timeZone));
        return expression.GetNextValidTimeAfter(at.AddSeconds(-1)) is { } exact && exact <= at
            ? exact
            : expression.GetPreviousValidTimeBefore(at);
    }
}
