using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Upkeep of the history's size: the maintained per type and status counts the list totals read, and the move of
/// old finished executions to <c>scheduled_jobs_archive</c>.
/// </summary>
public sealed class ExecutionArchive(NpgsqlDataSource dataSource)
{
    private const string FoldCountsSql = """
        WITH folded AS (DELETE FROM scheduled_jobs_count_deltas RETURNING job_type, status, delta)
        INSERT INTO scheduled_jobs_counts (job_type, status, n)
        SELECT job_type, status, sum(delta) FROM folded GROUP BY job_type, status
        ON CONFLICT (job_type, status) DO UPDATE SET n = scheduled_jobs_counts.n + EXCLUDED.n
        """;

    /// <summary>
    /// Folds the count deltas into the counts. Safe on every node at once: a delta row is deleted, and so added,
    /// by exactly one of them.
    /// </summary>
    public Task FoldCountsAsync(CancellationToken cancellationToken) => dataSource.ExecuteAsync(FoldCountsSql, null, cancellationToken);

    private const string ArchivedColumns = """
        id, job_type, status, started_at, completed_at, started_by, error, result, created_at, updated_at,
        trigger, scheduled_for, runner_id, attempt, retry_of, parameters, idempotency_key, heartbeat_at, cancel_requested_at,
        root_id, fire_instance_id, cancelled_by, request_hash, schedule, jitter_ms, progress
        """;

    private const string ArchiveBatchSql = $"""
        WITH moved AS (
          DELETE FROM scheduled_jobs
           WHERE id IN (SELECT id FROM scheduled_jobs
                         WHERE status IN ('completed', 'failed', 'cancelled', 'skipped')
                           AND completed_at < greatest(@cutoff, @failedCutoff)
                           AND completed_at < CASE WHEN status = 'failed' THEN @failedCutoff ELSE @cutoff END
                         ORDER BY completed_at
                         LIMIT @batchSize
                         FOR UPDATE SKIP LOCKED)
          RETURNING {ArchivedColumns})
        INSERT INTO scheduled_jobs_archive ({ArchivedColumns}, archived_at)
        SELECT {ArchivedColumns}, @now FROM moved
        """;

    /// <summary>
    /// Moves up to <paramref name="batchSize"/> executions finished before <paramref name="cutoff"/> to
    /// <c>scheduled_jobs_archive</c> in one statement, so an interruption leaves each row in exactly one
    /// of the two tables. Returns how many moved; 0 when none are left.
    /// </summary>
    public Task<int> ArchiveFinishedBeforeAsync(DateTimeOffset cutoff, int batchSize, DateTimeOffset now, CancellationToken cancellationToken) =>
        ArchiveFinishedBeforeAsync(cutoff, cutoff, batchSize, now, cancellationToken);

    /// <summary>As above, with failed executions held to their own <paramref name="failedCutoff"/> (kept longer).</summary>
    public Task<int> ArchiveFinishedBeforeAsync(DateTimeOffset cutoff, DateTimeOffset failedCutoff, int batchSize, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(ArchiveBatchSql, new { cutoff, failedCutoff, batchSize, now }, cancellationToken);
}
