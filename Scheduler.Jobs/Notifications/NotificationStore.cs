using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Notifications;

/// <summary>
/// <c>notification_subscriptions</c>: the notifications of every job type. Reads, and the writes the API's use cases
/// make inside their transactions (<see cref="NotificationControl"/>); configuration's rows are kept in step by
/// <see cref="SyncConfiguredAsync"/>. The secret is written here and read only by the dispatcher's claim.
/// </summary>
public sealed class NotificationStore(NpgsqlDataSource dataSource)
{
    /// <summary>Who configuration-owned rows were created by.</summary>
    public const string ConfigurationActor = "configuration";

    private const string Columns = """
        id AS Id, job_type AS JobType, name AS Name, kind AS Kind, url AS Url, events AS Events,
        secret IS NOT NULL AS HasSecret, enabled AS Enabled, description AS Description, source AS Source,
        created_by AS CreatedBy, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string ListSql = $"""
        SELECT {Columns} FROM notification_subscriptions
         WHERE (@jobType::text IS NULL OR job_type = @jobType)
         ORDER BY job_type, name
        """;

    /// <summary>Every notification, or those of <paramref name="jobType"/>, by type and name.</summary>
    public async Task<IReadOnlyList<NotificationView>> ListAsync(string? jobType, CancellationToken cancellationToken) =>
        [.. (await dataSource.QueryAsync<SubscriptionRow>(ListSql, new { jobType }, cancellationToken)).Select(r => r.ToView())];

    private const string GetSql = $"SELECT {Columns} FROM notification_subscriptions WHERE id = @id";

    public async Task<NotificationView?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await dataSource.QuerySingleOrDefaultAsync<SubscriptionRow>(GetSql, new { id }, cancellationToken))?.ToView();

    private const string LockSql = $"SELECT {Columns} FROM notification_subscriptions WHERE id = @id FOR UPDATE";

    /// <summary>The row, locked until <paramref name="transaction"/> ends.</summary>
    internal static async Task<NotificationView?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<SubscriptionRow>(LockSql, new { id }, cancellationToken, transaction))?.ToView();

    private const string InsertSql = $"""
        INSERT INTO notification_subscriptions (job_type, name, kind, url, events, secret, enabled, description, source, created_by, created_at, updated_at)
        VALUES (@JobType, @Name, @Kind, @Url, @Events, @Secret, @Enabled, @Description, 'api', @Actor, @Now, @Now)
        ON CONFLICT (job_type, name) DO NOTHING
        RETURNING {Columns}
        """;

    /// <summary>Inserts an API-owned notification; null when its type already has one of that name.</summary>
    internal static async Task<NotificationView?> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, NotificationWrite write, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<SubscriptionRow>(InsertSql, write, cancellationToken, transaction))?.ToView();

    private const string ReplaceSql = $"""
        UPDATE notification_subscriptions
           SET name = @Name, kind = @Kind, url = @Url, events = @Events,
               secret = CASE WHEN @Kind = 'heartbeat' THEN NULL ELSE COALESCE(@Secret, secret) END,
               enabled = @Enabled, description = @Description, updated_at = @Now
         WHERE id = @Id AND source = 'api'
        RETURNING {Columns}
        """;

    /// <summary>Replaces an API-owned notification (a null secret keeps the stored one); null when another of its type has the new name.</summary>
    internal static async Task<NotificationView?> ReplaceAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, NotificationWrite write, CancellationToken cancellationToken)
    {
        // A rename onto a taken name is an answer (409), not an error: the transaction goes on without the statement.
        await transaction.SaveAsync("replace", cancellationToken);
        try
        {
            return (await connection.QuerySingleOrDefaultAsync<SubscriptionRow>(ReplaceSql, new
            {
                Id = id, write.Name, write.Kind, write.Url, write.Events, write.Secret, write.Enabled, write.Description, write.Now,
            }, cancellationToken, transaction))?.ToView();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync("replace", cancellationToken);
            return null;
        }
    }

    private const string DeleteSql = "DELETE FROM notification_subscriptions WHERE id = @id AND source = 'api'";

    /// <summary>Deletes an API-owned notification and, with it, its delivery log.</summary>
    internal static async Task<bool> DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(DeleteSql, new { id }, cancellationToken, transaction) == 1;

    private const string UpsertConfiguredSql = """
        INSERT INTO notification_subscriptions (job_type, name, kind, url, events, secret, enabled, description, source, created_by, created_at, updated_at)
        VALUES (@JobType, @Name, @Kind, @Url, @Events, @Secret, @Enabled, @Description, 'configuration', 'configuration', @Now, @Now)
        ON CONFLICT (job_type, name) DO UPDATE
           SET kind = EXCLUDED.kind, url = EXCLUDED.url, events = EXCLUDED.events, secret = EXCLUDED.secret,
               enabled = EXCLUDED.enabled, description = EXCLUDED.description, updated_at = EXCLUDED.updated_at
         WHERE notification_subscriptions.source = 'configuration'
           AND (notification_subscriptions.kind, notification_subscriptions.url, notification_subscriptions.events,
                notification_subscriptions.secret, notification_subscriptions.enabled, notification_subscriptions.description)
               IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.url, EXCLUDED.events, EXCLUDED.secret, EXCLUDED.enabled, EXCLUDED.description)
        """;

    private const string ShadowedSql = "SELECT source FROM notification_subscriptions WHERE job_type = @JobType AND name = @Name";

    private const string DeleteUnconfiguredSql = """
        DELETE FROM notification_subscriptions
         WHERE source = 'configuration' AND NOT (job_type || ':' || name = ANY (@keys))
        """;

    /// <summary>
    /// Makes the configuration-owned rows match <paramref name="configured"/>, in one transaction: new ones added,
    /// changed ones updated (an unchanged row is not touched), ones no longer configured deleted. API-owned rows are
    /// left alone; a configured name an API-owned row already holds is returned, not taken over.
    /// </summary>
    public Task<IReadOnlyList<ConfiguredNotification>> SyncConfiguredAsync(
        IReadOnlyList<ConfiguredNotification> configured, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.UseTransactionAsync<IReadOnlyList<ConfiguredNotification>>(async (connection, transaction) =>
        {
            var shadowed = new List<ConfiguredNotification>();
            foreach (var notification in configured)
            {
                var args = new
                {
                    notification.JobType, notification.Name, notification.Kind, notification.Url, Events = notification.Events.ToArray(),
                    notification.Secret, notification.Enabled, notification.Description, Now = now,
                };
                await connection.ExecuteAsync(UpsertConfiguredSql, args, cancellationToken, transaction);
                if (await connection.QuerySingleOrDefaultAsync<string>(ShadowedSql, args, cancellationToken, transaction) == "api")
                {
                    shadowed.Add(notification);
                }
            }

            await connection.ExecuteAsync(DeleteUnconfiguredSql, new { keys = configured.Select(c => $"{c.JobType}:{c.Name}").ToArray() }, cancellationToken, transaction);
            return shadowed;
        }, cancellationToken);

    /// <summary>One row as <see cref="Columns"/> selects it.</summary>
    private sealed class SubscriptionRow
    {
        public Guid Id { get; init; }
        public string JobType { get; init; } = "";
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Url { get; init; } = "";
        public string[] Events { get; init; } = [];
        public bool HasSecret { get; init; }
        public bool Enabled { get; init; }
        public string? Description { get; init; }
        public string Source { get; init; } = "";
        public string CreatedBy { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public NotificationView ToView() => new()
        {
            Id = Id,
            JobType = JobType,
            Name = Name,
            Kind = Kind,
            Url = Url,
            Events = Events,
            HasSecret = HasSecret,
            Enabled = Enabled,
            Description = Description,
            Source = Source,
            ConfigurationKey = Source == "configuration" ? ConfiguredNotification.KeyOf(JobType, Name) : null,
            CreatedBy = CreatedBy,
            CreatedAt = CreatedAt,
            UpdatedAt = UpdatedAt,
        };
    }
}

/// <summary>A notification as an API write stores it.</summary>
internal sealed record NotificationWrite(
    string JobType, string Name, string Kind, string Url, string[] Events, string? Secret, bool Enabled, string? Description, string Actor, DateTimeOffset Now);
