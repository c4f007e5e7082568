namespace Scheduler.Jobs.Statistics;

/// <summary>The length of a series' buckets, each aligned to UTC.</summary>
public enum StatsBucketUnit
{
    Minute,
    Hour,
    Day,
}

/// <summary>What one statistics answer covers: executions that ended in [<see cref="From"/>, <see cref="To"/>), of one type or all.</summary>
public sealed record StatsRange(DateTimeOffset From, DateTimeOffset To, StatsBucketUnit Unit, string? JobType)
{
    public static TimeSpan Length(StatsBucketUnit unit) => unit switch
    {
        StatsBucketUnit.Minute => TimeSpan.FromMinutes(1),
        StatsBucketUnit.Hour => TimeSpan.FromHours(1),
        _ => TimeSpan.FromDays(1),
    };

    /// <summary>The bucket to use when none is asked for: minutes up to 6 h, hours up to 7 days, else days.</summary>
    public static StatsBucketUnit DefaultUnit(TimeSpan range) =>
        range <= TimeSpan.FromHours(6) ? StatsBucketUnit.Minute : range <= TimeSpan.FromDays(7) ? StatsBucketUnit.Hour : StatsBucketUnit.Day;

    /// <summary>How many buckets the series of [<paramref name="from"/>, <paramref name="to"/>) has.</summary>
    public static long BucketCount(DateTimeOffset from, DateTimeOffset to, StatsBucketUnit unit)
    {
        var length = Length(unit).Ticks;
        var first = Floor(from, unit).UtcTicks;
        return (to.UtcTicks - 1 - first) / length + 1;
    }

    /// <summary>The start of the UTC-aligned bucket <paramref name="at"/> falls in.</summary>
    public static DateTimeOffset Floor(DateTimeOffset at, StatsBucketUnit unit)
    {
        var length = Length(unit).Ticks;
        var ticks = at.UtcTicks;
        return new DateTimeOffset(ticks - ticks % length, TimeSpan.Zero);
    }

    /// <summary>The start of the first UTC-aligned bucket at or after <paramref name="at"/>.</summary>
    public static DateTimeOffset Ceiling(DateTimeOffset at, StatsBucketUnit unit)
    {
        var floor = Floor(at, unit);
        return floor == at ? floor : floor + Length(unit);
    }

    /// <summary>Every bucket's start, in order.</summary>
    public IEnumerable<DateTimeOffset> BucketStarts()
    {
        for (var start = Floor(From, Unit); start < To; start += Length(Unit))
        {
            yield return start;
        }
    }
}
