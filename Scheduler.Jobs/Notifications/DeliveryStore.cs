using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Notifications;

/// <summary>
/// <c>notification_deliveries</c>, the outbox and the delivery log in one table. Rows are inserted by a run's outcome
/// statement (<see cref="EnqueueSql"/>); each attempt is claimed (<see cref="ClaimAsync"/>), sent, and recorded under
/// its attempt number, so a claim that expired and was taken over by another node cannot overwrite the newer attempt.
/// </summary>
/// <remarks>The delivery log grows with every notified run; a retention sweep deletes by <c>created_at</c> (indexed per notification).</remarks>
public sealed class DeliveryStore([FromKeyedServices(SchedulerDataSources.Background)] NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The deliveries a finished run owes, as a CTE body over <c>done</c> (the finished row: <c>id</c>, <c>job_type</c>,
    /// <c>status</c>, <c>created_at</c>), run in the outcome's own statement: nothing is inserted, and nothing but an
    /// empty index probe is paid, for a type without enabled notifications. A heartbeat fires on success; a webhook on
    /// failure, on recovery (a success whose type's previous finished run failed), or on every completion; one
    /// delivery per notification and execution, the most specific event first.
    /// </summary>
    internal const string EnqueueSql = """
        INSERT INTO notification_deliveries (subscription_id, execution_id, job_type, event, next_attempt_at, created_at)
        SELECT s.id, d.id, d.job_type, e.event, @now, @now
          FROM done d
          JOIN notification_subscriptions s ON s.job_type = d.job_type AND s.enabled
         CROSS JOIN LATERAL (SELECT CASE
                 WHEN s.kind = 'heartbeat' THEN CASE WHEN d.status = 'completed' THEN 'success' END
                 WHEN d.status = 'failed' AND 'failure' = ANY (s.events) THEN 'failure'
                 WHEN d.status = 'completed' AND 'recovery' = ANY (s.events)
                      AND (SELECT p.status FROM scheduled_jobs p
                            WHERE p.job_type = d.job_type AND p.id <> d.id AND p.created_at <= d.created_at
                              AND p.status IN ('completed', 'failed')
                            ORDER BY p.created_at DESC, p.id DESC LIMIT 1) = 'failed' THEN 'recovery'
                 WHEN 'completion' = ANY (s.events) THEN 'completion'
               END AS event) e
         WHERE e.event IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
        """;

    private const string ClaimSql = """
        WITH due AS (
          SELECT id FROM notification_deliveries
           WHERE status = 'pending' AND next_attempt_at <= @now
           ORDER BY next_attempt_at
           LIMIT @batch
           FOR UPDATE SKIP LOCKED)
        UPDATE notification_deliveries d
           SET attempts = d.attempts + 1, next_attempt_at = @claimedUntil, last_attempt_at = @now
          FROM due, notification_subscriptions s
         WHERE d.id = due.id AND s.id = d.subscription_id
        RETURNING d.id AS Id, d.subscription_id AS NotificationId, d.execution_id AS ExecutionId, d.job_type AS JobType,
                  d.event AS Event, d.attempts AS Attempt, d.payload AS Payload,
                  s.kind AS Kind, s.url AS Url, s.secret AS Secret, s.enabled AS Enabled
        """;

    /// <summary>
    /// Claims up to <paramref name="batch"/> due deliveries for one attempt each, until <paramref name="claimedUntil"/>:
    /// rows another node is claiming are skipped, and a claimed row is not due again before then.
    /// </summary>
    public Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int batch, DateTimeOffset now, DateTimeOffset claimedUntil, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<ClaimedDelivery>(ClaimSql, new { batch, now, claimedUntil }, cancellationToken);

    private const string FixPayloadSql = """
        UPDATE notification_deliveries SET payload = COALESCE(payload, @payload)
         WHERE id = @id AND attempts = @attempt
        RETURNING payload
        """;

    /// <summary>
    /// Fixes the body every attempt of the delivery sends: <paramref name="payload"/>, unless an earlier attempt fixed
    /// one. Null when the claim was lost meanwhile.
    /// </summary>
    public Task<string?> FixPayloadAsync(Guid id, int attempt, string payload, CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<string?>(FixPayloadSql, new { id, attempt, payload }, cancellationToken);

    private const string RecordSql = """
        UPDATE notification_deliveries
           SET status = @status, next_attempt_at = @nextAttemptAt, last_status_code = @statusCode, last_error = @error,
               delivered_at = @deliveredAt
         WHERE id = @id AND attempts = @attempt AND status = 'pending'
        """;

    /// <summary>Records how attempt <paramref name="attempt"/> went; nothing when a later attempt has been claimed since.</summary>
    public Task RecordAsync(Guid id, int attempt, string status, DateTimeOffset? nextAttemptAt, int? statusCode, string? error, DateTimeOffset? deliveredAt, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(RecordSql, new { id, attempt, status, nextAttemptAt, statusCode, error, deliveredAt }, cancellationToken);

    private const string ListSql = """
        SELECT id AS Id, subscription_id AS NotificationId, execution_id AS ExecutionId, job_type AS JobType, event AS Event,
               status AS Status, attempts AS Attempts, last_status_code AS LastStatusCode, last_error AS LastError,
               last_attempt_at AS LastAttemptAt, next_attempt_at AS NextAttemptAt, delivered_at AS DeliveredAt, created_at AS CreatedAt
          FROM notification_deliveries
         WHERE subscription_id = @id
         ORDER BY created_at DESC, id DESC
         LIMIT @limit
        """;

    /// <summary>A notification's latest <paramref name="limit"/> deliveries, newest first.</summary>
    public Task<IReadOnlyList<NotificationDelivery>> ListAsync(Guid id, int limit, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<NotificationDelivery>(ListSql, new { id, limit }, cancellationToken);
}

/// <summary>A delivery claimed for one attempt, with its notification's settings as they are now.</summary>
public sealed record ClaimedDelivery(
    Guid Id, Guid NotificationId, Guid ExecutionId, string JobType, string Event, int Attempt, string? Payload,
    string Kind, string Url, string? Secret, bool Enabled);

/// <summary>The delivery log's states (<c>notification_deliveries.status</c>).</summary>
public static class DeliveryStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}
