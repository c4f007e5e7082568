using Scheduler.Jobs.Statistics;

namespace Scheduler.Service.Api;

/// <summary>The query string of <c>GET /api/jobs/stats</c>: <c>from</c>, <c>to</c>, <c>type</c>, <c>bucket</c>, all optional.</summary>
public sealed class StatsQuery : IStrictQuery
{
    private static readonly TimeSpan DefaultRange = TimeSpan.FromHours(24);

    [QueryTimestamp]
    public string? From { get; init; }

    [QueryTimestamp]
    public string? To { get; init; }

    [QueryText]
    public string? Type { get; init; }

    /// <summary><c>minute</c>, <c>hour</c> or <c>day</c>.</summary>
    public string? Bucket { get; init; }

    /// <summary>
    /// The range asked for, with its defaults (to: now; from: 24 h before to; bucket: by the range's length), or the
    /// problems with it, each under the parameter's name.
    /// </summary>
    public (StatsRange? Range, Dictionary<string, string[]> Errors) Resolve(DateTimeOffset now, StatsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new Dictionary<string, string[]>();
        var to = QueryValues.Timestamp(To) ?? now;
        var from = QueryValues.Timestamp(From) ?? to - DefaultRange;
        StatsBucketUnit? unit = QueryValues.Given(Bucket) switch
        {
            null => null,
            "minute" => StatsBucketUnit.Minute,
            "hour" => StatsBucketUnit.Hour,
            "day" => StatsBucketUnit.Day,
            _ => null,
        };
        if (QueryValues.Given(Bucket) is not null && unit is null)
        {
            errors["bucket"] = ["Must be minute, hour or day."];
        }

        if (from >= to)
        {
            errors["from"] = [QueryValues.Given(To) is null && QueryValues.Given(From) is not null ? "Must be earlier than now (to defaults to now)." : "Must be earlier than 'to'."];
        }
        else if (to - from > options.MaxRange)
        {
            errors["from"] = [$"The range from 'from' to 'to' may be at most {options.MaxRange.TotalDays:0.##} days (Stats:MaxRange)."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var chosen = unit ?? StatsRange.DefaultUnit(to - from);
        var buckets = StatsRange.BucketCount(from, to, chosen);
        if (buckets > options.MaxBuckets)
        {
            errors["bucket"] = [$"The range has {buckets} {chosen.ToString().ToLowerInvariant()} buckets; at most {options.MaxBuckets} (Stats:MaxBuckets): choose a longer bucket or a shorter range."];
            return (null, errors);
        }

        return (new StatsRange(from, to, chosen, QueryValues.Given(Type)), errors);
    }
}
