using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Statistics;

/// <summary>
/// Rolls finished executions up into the hour and day rows <c>GET /api/jobs/stats</c> reads, off the execution path.
/// Each call is one statement: it takes the watermark row (or, if another node holds it, does nothing), rolls the
/// hours from the watermark on, at most <see cref="StatsOptions.RollupChunk"/> of them, up to <c>until</c>, and moves
/// the watermark past them, all or nothing. A statement that fails or is repeated can therefore never count an
/// execution twice. The first rollup starts at the oldest finished execution, archived ones included.
/// </summary>
public sealed class StatsRollup(NpgsqlDataSource dataSource)
{
    // Rows go in in key order, so that a range of one grain's periods is on few pages.
    private const string RollupSql = $"""
        WITH mark AS (
          SELECT rolled_until FROM job_stats_rollup WHERE id = 1 FOR UPDATE SKIP LOCKED),
        start AS (
          SELECT coalesce(rolled_until, least(date_trunc('hour', least(
                   (SELECT min(completed_at) FROM scheduled_jobs WHERE status IN ('completed', 'failed', 'cancelled', 'skipped')),
                   (SELECT min(completed_at) FROM scheduled_jobs_archive)), 'UTC'), @until)) AS lo
            FROM mark),
        bounds AS (
          SELECT lo, greatest(lo, least(@until, lo + @chunk)) AS hi FROM start),
        src AS MATERIALIZED (
          SELECT job_type, status, completed_at, id,
                 {JobStatsStore.MeasuredColumns}
            FROM (SELECT job_type, status, completed_at, id, started_at, error FROM scheduled_jobs, bounds
                   WHERE status IN ('completed', 'failed', 'cancelled', 'skipped') AND completed_at >= bounds.lo AND completed_at < bounds.hi
                  UNION ALL
                  SELECT job_type, status, completed_at, id, started_at, error FROM scheduled_jobs_archive, bounds
                   WHERE status IN ('completed', 'failed', 'cancelled', 'skipped') AND completed_at >= bounds.lo AND completed_at < bounds.hi) AS finished),
        grains AS (SELECT unnest(ARRAY['hour', 'day']) AS grain),
        runs AS (
          INSERT INTO job_stats_runs AS t (grain, period_start, job_type, status, runs, duration_max_ms)
          SELECT grain, date_trunc(grain, completed_at, 'UTC'), job_type, status, count(*), max(ms)
            FROM src CROSS JOIN grains GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (grain, period_start, job_type, status) DO UPDATE
             SET runs = t.runs + excluded.runs, duration_max_ms = greatest(t.duration_max_ms, excluded.duration_max_ms)),
        durations AS (
          INSERT INTO job_stats_durations AS t (grain, period_start, job_type, bucket, runs)
          SELECT grain, date_trunc(grain, completed_at, 'UTC'), job_type, scheduler_duration_bucket(ms), count(*)
            FROM src CROSS JOIN grains WHERE ms IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (grain, period_start, job_type, bucket) DO UPDATE SET runs = t.runs + excluded.runs),
        reasons AS (
          INSERT INTO job_stats_failure_reasons AS t (grain, period_start, job_type, reason, runs, first_seen, last_seen, example_id)
          SELECT grain, date_trunc(grain, completed_at, 'UTC'), job_type, reason, count(*), min(completed_at), max(completed_at),
                 (array_agg(id ORDER BY completed_at DESC, id DESC))[1]
            FROM src CROSS JOIN grains WHERE reason IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (grain, period_start, job_type, reason) DO UPDATE
             SET runs = t.runs + excluded.runs, first_seen = least(t.first_seen, excluded.first_seen),
                 last_seen = greatest(t.last_seen, excluded.last_seen),
                 example_id = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.example_id ELSE t.example_id END),
        moved AS (
          UPDATE job_stats_rollup SET rolled_until = bounds.hi FROM bounds
           WHERE id = 1 AND rolled_until IS DISTINCT FROM bounds.hi)
        SELECT (SELECT hi FROM bounds) AS RolledUntil, (SELECT count(*) FROM src) AS Executions
        """;

    /// <summary>
    /// Rolls up the hours before <paramref name="until"/> (an hour start) not rolled yet, a chunk per statement, until
    /// none is left or another node holds the watermark. Returns the watermark it left, or null if another node held it.
    /// </summary>
    public async Task<DateTimeOffset?> RollUpAsync(DateTimeOffset until, TimeSpan chunk, CancellationToken cancellationToken)
    {
        while (true)
        {
            var step = await dataSource.QuerySingleOrDefaultAsync<RollupStep>(RollupSql, new { until, chunk }, cancellationToken);
            if (step?.RolledUntil is not { } rolled || rolled >= until)
            {
                return step?.RolledUntil;
            }
        }
    }

    private sealed record RollupStep(DateTimeOffset? RolledUntil, long Executions);
}
