using System.Globalization;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Statistics;

/// <summary>
/// The reads of <c>GET /api/jobs/stats</c>. Whole hours already rolled up come from the rollup tables (whole days of
/// them from the day rows when the series is by day); the rest of the range, the partial hours at its ends and the
/// hours not rolled yet, is read live from <c>scheduled_jobs</c>. Each hour is read from exactly one of the two, and
/// percentiles are always taken from the same duration buckets, so an answer is the same before and after a rollup.
/// </summary>
public sealed class JobStatsStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// What a finished execution contributes, computed alike by the live read and the rollup (so that an answer is the
    /// same before and after its hours are rolled up): its duration in ms (completed and failed runs that started) and
    /// its failure reason (failed runs).
    /// </summary>
    internal const string MeasuredColumns = """
        CASE WHEN status IN ('completed', 'failed') AND started_at IS NOT NULL THEN scheduler_duration_ms(started_at, completed_at) END AS ms,
        CASE WHEN status = 'failed' THEN scheduler_failure_reason(error) END AS reason
        """;

    private const string WatermarkSql = "SELECT rolled_until FROM job_stats_rollup WHERE id = 1";

    /// <summary>Every hour before this is rolled up; null when none is.</summary>
    public Task<DateTimeOffset?> RolledUntilAsync(CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<DateTimeOffset?>(WatermarkSql, null, cancellationToken);

    private const string KnownTypeSql = """
        SELECT EXISTS (SELECT 1 FROM scheduled_jobs WHERE job_type = @jobType)
            OR EXISTS (SELECT 1 FROM job_stats_runs WHERE job_type = @jobType)
        """;

    /// <summary>Whether <paramref name="jobType"/> has runs in the history or the rollups (a type no longer configured).</summary>
    public Task<bool> InHistoryAsync(string jobType, CancellationToken cancellationToken) =>
        dataSource.ExecuteScalarAsync<bool>(KnownTypeSql, new { jobType }, cancellationToken);

    // kind r: runs per bucket, type and status (key), with the longest duration; d: completed and failed runs per
    // bucket, type and duration bucket (key); f: failed runs per type and reason (key), first and last seen, the last one.
    // Live rows are [from, a) and [b, to); hour rows [a, b) except [d1, d2), whose day rows are read instead. Rows with
    // the same keys (an hour's rows in a day bucket, a reason's rows of many periods) are added up by the caller:
    // sorting them here costs more than sending them.
    private const string StatsSql = $"""
        WITH live AS MATERIALIZED (
          SELECT job_type, status, completed_at, id,
                 {MeasuredColumns}
            FROM scheduled_jobs
           WHERE status IN ('completed', 'failed', 'cancelled', 'skipped')
             AND ((completed_at >= @from AND completed_at < @a) OR (completed_at >= @b AND completed_at < @to))
             AND (@jobType::text IS NULL OR job_type = @jobType))
        SELECT 'r' AS Kind, date_trunc(@unit, completed_at, 'UTC') AS Start, job_type AS JobType, status AS Key,
               count(*) AS Runs, max(ms) AS MaxMs, NULL::timestamptz AS FirstSeen, NULL::timestamptz AS LastSeen, NULL::uuid AS ExampleId
          FROM live GROUP BY 2, 3, 4
        UNION ALL
        SELECT 'r', date_trunc(@unit, period_start, 'UTC'), job_type, status, runs, duration_max_ms, NULL, NULL, NULL
          FROM job_stats_runs
         WHERE ((grain = 'hour' AND period_start >= @a AND period_start < @b AND NOT (period_start >= @d1 AND period_start < @d2))
                OR (grain = 'day' AND period_start >= @d1 AND period_start < @d2))
           AND (@jobType::text IS NULL OR job_type = @jobType)
        UNION ALL
        SELECT 'd', date_trunc(@unit, completed_at, 'UTC'), job_type, scheduler_duration_bucket(ms)::text, count(*), NULL, NULL, NULL, NULL
          FROM live WHERE ms IS NOT NULL GROUP BY 2, 3, 4
        UNION ALL
        SELECT 'd', date_trunc(@unit, period_start, 'UTC'), job_type, bucket::text, runs, NULL, NULL, NULL, NULL
          FROM job_stats_durations
         WHERE ((grain = 'hour' AND period_start >= @a AND period_start < @b AND NOT (period_start >= @d1 AND period_start < @d2))
                OR (grain = 'day' AND period_start >= @d1 AND period_start < @d2))
           AND (@jobType::text IS NULL OR job_type = @jobType)
        UNION ALL
        SELECT 'f', NULL, job_type, reason, count(*), NULL, min(completed_at), max(completed_at), (array_agg(id ORDER BY completed_at DESC, id DESC))[1]
          FROM live WHERE reason IS NOT NULL GROUP BY job_type, reason
        UNION ALL
        SELECT 'f', NULL, job_type, reason, runs, NULL, first_seen, last_seen, example_id
          FROM job_stats_failure_reasons
         WHERE ((grain = 'hour' AND period_start >= @a AND period_start < @b AND NOT (period_start >= @d1 AND period_start < @d2))
                OR (grain = 'day' AND period_start >= @d1 AND period_start < @d2))
           AND (@jobType::text IS NULL OR job_type = @jobType)
        """;

    /// <summary>The statistics of <paramref name="range"/>, as of <paramref name="now"/>.</summary>
    public async Task<JobStatsReport> ReadAsync(StatsRange range, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        var rolledUntil = await RolledUntilAsync(cancellationToken);
        var seams = StatsSeams.Of(range, rolledUntil);
        var rows = await dataSource.QueryAsync<StatsRow>(StatsSql, new
        {
            from = range.From,
            to = range.To,
            seams.A,
            seams.B,
            seams.D1,
            seams.D2,
            unit = range.Unit.ToString().ToLowerInvariant(),
            jobType = range.JobType,
        }, cancellationToken);
        return StatsReport.Build(range, rows, now);
    }
}

/// <summary>
/// Where the rolled-up part of a range starts and ends: live rows are [from, A) and [B, to); hour rows [A, B) except
/// [D1, D2), whose day rows are read instead (D1 = D2 when none are). Minute series are read live throughout.
/// </summary>
internal sealed record StatsSeams(DateTimeOffset A, DateTimeOffset B, DateTimeOffset D1, DateTimeOffset D2)
{
    public static StatsSeams Of(StatsRange range, DateTimeOffset? rolledUntil)
    {
        var a = StatsRange.Ceiling(range.From, StatsBucketUnit.Hour);
        var b = StatsRange.Floor(range.To, StatsBucketUnit.Hour);
        if (rolledUntil is { } rolled && rolled < b)
        {
            b = rolled;
        }

        if (range.Unit == StatsBucketUnit.Minute || rolledUntil is null || b <= a)
        {
            return new StatsSeams(range.To, range.To, range.To, range.To);
        }

        var d1 = StatsRange.Ceiling(a, StatsBucketUnit.Day);
        var d2 = StatsRange.Floor(b, StatsBucketUnit.Day);
        return range.Unit == StatsBucketUnit.Day && d1 < d2 ? new StatsSeams(a, b, d1, d2) : new StatsSeams(a, b, a, a);
    }
}

/// <summary>One row of the statistics query (see its kinds).</summary>
internal sealed class StatsRow
{
    public string Kind { get; init; } = "";
    public DateTimeOffset? Start { get; init; }
    public string JobType { get; init; } = "";
    public string Key { get; init; } = "";
    public long Runs { get; init; }
    public long? MaxMs { get; init; }
    public DateTimeOffset? FirstSeen { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public Guid? ExampleId { get; init; }
}

/// <summary>Adds the rows up into the answer: per type and overall, totals, series, percentiles and top reasons.</summary>
internal static class StatsReport
{
    private const int TopReasons = 10;

    public static JobStatsReport Build(StatsRange range, IReadOnlyList<StatsRow> rows, DateTimeOffset now)
    {
        var starts = range.BucketStarts().ToList();
        var index = starts.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        var types = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        if (range.JobType is { } only)
        {
            types[only] = new Tally(starts.Count);
        }

        var overall = new Tally(starts.Count);
        foreach (var row in rows)
        {
            if (!types.TryGetValue(row.JobType, out var tally))
            {
                types[row.JobType] = tally = new Tally(starts.Count);
            }

            // Rows of the range's first, partial bucket carry its aligned start, which may precede the range.
            var bucket = row.Start is { } start && index.TryGetValue(start, out var i) ? i : -1;
            foreach (var t in (Tally[])[tally, overall])
            {
                switch (row.Kind)
                {
                    case "r":
                        t.AddRuns(bucket, row.Key, row.Runs, row.MaxMs);
                        break;
                    case "d":
                        t.AddDurations(bucket, int.Parse(row.Key, CultureInfo.InvariantCulture), row.Runs);
                        break;
                    default:
                        t.AddReason(row.Key, row.Runs, row.FirstSeen!.Value, row.LastSeen!.Value, row.ExampleId!.Value);
                        break;
                }
            }
        }

        return new JobStatsReport(
            range.From,
            range.To,
            range.Unit.ToString().ToLowerInvariant(),
            now,
            overall.Summary(starts),
            [.. types.Select(p => new JobTypeStats(p.Key, p.Value.Summary(starts)))]);
    }

    private static double? SuccessRate(long completed, long failed) =>
        completed + failed == 0 ? null : Math.Round((double)completed / (completed + failed), 4);

    private sealed class Counts
    {
        public long Completed;
        public long Failed;
        public long Cancelled;
        public long Skipped;
        public long? MaxMs;
        public readonly long[] Durations = new long[DurationBuckets.Count];

        public void Add(string status, long runs, long? maxMs)
        {
            switch (status)
            {
                case "completed": Completed += runs; break;
                case "failed": Failed += runs; break;
                case "cancelled": Cancelled += runs; break;
                default: Skipped += runs; break;
            }

            if (maxMs is { } max && (MaxMs is null || max > MaxMs))
            {
                MaxMs = max;
            }
        }

        public StatusCounts ToContract() => new(Completed, Failed, Cancelled, Skipped);
    }

    private sealed class Tally(int buckets)
    {
        private readonly Counts _total = new();
        private readonly Counts[] _series = [.. Enumerable.Range(0, buckets).Select(_ => new Counts())];
        private readonly Dictionary<string, FailureReason> _reasons = new(StringComparer.Ordinal);

        public void AddRuns(int bucket, string status, long runs, long? maxMs)
        {
            _total.Add(status, runs, maxMs);
            if (bucket >= 0)
            {
                _series[bucket].Add(status, runs, maxMs);
            }
        }

        public void AddDurations(int bucket, int durationBucket, long runs)
        {
            _total.Durations[durationBucket] += runs;
            if (bucket >= 0)
            {
                _series[bucket].Durations[durationBucket] += runs;
            }
        }

        public void AddReason(string reason, long runs, DateTimeOffset firstSeen, DateTimeOffset lastSeen, Guid exampleId)
        {
            _reasons[reason] = _reasons.TryGetValue(reason, out var seen)
                ? new FailureReason(reason, seen.Count + runs,
                    firstSeen < seen.FirstSeen ? firstSeen : seen.FirstSeen,
                    lastSeen > seen.LastSeen ? lastSeen : seen.LastSeen,
                    lastSeen > seen.LastSeen ? exampleId : seen.ExampleId)
                : new FailureReason(reason, runs, firstSeen, lastSeen, exampleId);
        }

        public JobStatsSummary Summary(List<DateTimeOffset> starts) => new()
        {
            Counts = _total.ToContract(),
            Total = _total.Completed + _total.Failed + _total.Cancelled + _total.Skipped,
            SuccessRate = SuccessRate(_total.Completed, _total.Failed),
            Duration = new DurationSummary(
                DurationBuckets.Percentile(_total.Durations, 0.50, _total.MaxMs),
                DurationBuckets.Percentile(_total.Durations, 0.95, _total.MaxMs),
                _total.MaxMs),
            Series = [.. starts.Select((start, i) => new StatsBucket(
                start,
                _series[i].ToContract(),
                SuccessRate(_series[i].Completed, _series[i].Failed),
                DurationBuckets.Percentile(_series[i].Durations, 0.50, _series[i].MaxMs),
                DurationBuckets.Percentile(_series[i].Durations, 0.95, _series[i].MaxMs)))],
            FailureReasons = [.. _reasons.Values.OrderByDescending(r => r.Count).ThenByDescending(r => r.LastSeen).ThenBy(r => r.Reason, StringComparer.Ordinal).Take(TopReasons)],
        };
    }
}
