using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Cleanup;

/// <summary>
/// The deletes of <c>cleanup_old_data</c>'s retention steps. Each method deletes at most <c>batchSize</c> rows past
/// their window in one statement (its own transaction), and returns how many; 0 when none are left. A stopped run
/// leaves every row either deleted or where it was, and the next run carries on from there.
/// </summary>
public sealed class RetentionPurge(NpgsqlDataSource dataSource)
{
    // Bounded by the later of the two cutoffs so the completed_at index (020) finds the candidates, then each row is
    // held to its own status's window.
    private const string ArchiveSql = """
        DELETE FROM scheduled_jobs_archive
         WHERE id IN (SELECT id FROM scheduled_jobs_archive
                       WHERE completed_at < greatest(@olderThan, @failedOlderThan)
                         AND completed_at < CASE WHEN status = 'failed' THEN @failedOlderThan ELSE @olderThan END
                       LIMIT @batchSize)
        """;

    /// <summary>Archived executions finished before <paramref name="olderThan"/>, failed ones before <paramref name="failedOlderThan"/>.</summary>
    public Task<int> ArchiveAsync(DateTimeOffset olderThan, DateTimeOffset failedOlderThan, int batchSize, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(ArchiveSql, new { olderThan, failedOlderThan, batchSize }, cancellationToken);

    // No single-column key: rows are picked by ctid (a TID scan), and the window is checked again on the row deleted.
    private const string ExecutionLogsSql = """
        DELETE FROM execution_logs
         WHERE ctid = ANY (ARRAY(SELECT ctid FROM execution_logs WHERE at < @olderThan LIMIT @batchSize))
           AND at < @olderThan
        """;

    /// <summary>Log lines written before <paramref name="olderThan"/>, of live and archived runs alike.</summary>
    public Task<int> ExecutionLogsAsync(DateTimeOffset olderThan, int batchSize, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(ExecutionLogsSql, new { olderThan, batchSize }, cancellationToken);

    private const string AuditLogSql = """
        DELETE FROM audit_log
         WHERE id IN (SELECT id FROM audit_log WHERE at < @olderThan LIMIT @batchSize)
        """;

    /// <summary>Audit entries recorded before <paramref name="olderThan"/>.</summary>
    public Task<int> AuditLogAsync(DateTimeOffset olderThan, int batchSize, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(AuditLogSql, new { olderThan, batchSize }, cancellationToken);

    private const string EventsSql = """
        DELETE FROM scheduler_events
         WHERE id IN (SELECT id FROM scheduler_events WHERE at < @olderThan LIMIT @batchSize)
        """;

    /// <summary>Live events raised before <paramref name="olderThan"/>.</summary>
    public Task<int> EventsAsync(DateTimeOffset olderThan, int batchSize, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(EventsSql, new { olderThan, batchSize }, cancellationToken);

    private const string DigestDeliveriesSql = """
        DELETE FROM digest_deliveries
         WHERE ctid = ANY (ARRAY(SELECT ctid FROM digest_deliveries WHERE sent_at < @olderThan LIMIT @batchSize))
           AND sent_at < @olderThan
        """;

    /// <summary>Records of digests sent before <paramref name="olderThan"/>.</summary>
    public Task<int> DigestDeliveriesAsync(DateTimeOffset olderThan, int batchSize, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(DigestDeliveriesSql, new { olderThan, batchSize }, cancellationToken);

    // A pending delivery is still owed, however old; a finished one is kept for the window after its last attempt too.
    private const string NotificationDeliveriesSql = """
        DELETE FROM notification_deliveries
         WHERE id IN (SELECT id FROM notification_deliveries
                       WHERE created_at < @olderThan AND status <> 'pending'
                         AND coalesce(last_attempt_at, created_at) < @olderThan
                       LIMIT @batchSize)
        """;

    /// <summary>Delivered or given-up notification deliveries created (and last attempted) before <paramref name="olderThan"/>.</summary>
    public Task<int> NotificationDeliveriesAsync(DateTimeOffset olderThan, int batchSize, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(NotificationDeliveriesSql, new { olderThan, batchSize }, cancellationToken);
}
