using System.Text.Json;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.HttpCalls;

/// <summary>
/// <c>job_type_definitions</c>: the HTTP-call types defined through the API. Every write happens inside the caller's
/// transaction. Nodes learn of a change by reading the table: periodically, and before running a type defined here.
/// No NOTIFY: in PostgreSQL every listening session pays a transaction for each notification in its database, so a
/// connection listening all the time would pay for every run's events.
/// </summary>
public sealed class HttpCallTypeStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        name AS Name, service AS Service, method AS Method, path AS Path, body::text AS Body, items_field AS ItemsField,
        timeout_seconds AS TimeoutSeconds, retries AS Retries, recoverable AS Recoverable, description AS Description,
        enabled AS Enabled, cron AS Cron, time_zone AS TimeZone, created_by AS CreatedBy, created_at AS CreatedAt,
        changed_by AS ChangedBy, changed_at AS ChangedAt
        """;

    private const string AllSql = $"SELECT {Columns} FROM job_type_definitions ORDER BY name";

    /// <summary>Every type defined through the API.</summary>
    public Task<IReadOnlyList<HttpCallTypeRow>> AllAsync(CancellationToken cancellationToken) =>
        dataSource.QueryAsync<HttpCallTypeRow>(AllSql, null, cancellationToken);

    private const string LockedSql = $"SELECT {Columns} FROM job_type_definitions WHERE name = @name FOR UPDATE";

    /// <summary>The type's row, locked until the transaction ends; null when there is none.</summary>
    public static Task<HttpCallTypeRow?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<HttpCallTypeRow>(LockedSql, new { name }, cancellationToken, transaction);

    private const string InsertSql = """
        INSERT INTO job_type_definitions (name, service, method, path, body, items_field, timeout_seconds, retries, recoverable,
                                          description, enabled, cron, time_zone, created_by, created_at, changed_by, changed_at)
        VALUES (@Name, @Service, @Method, @Path, @Body::jsonb, @ItemsField, @TimeoutSeconds, @Retries, @Recoverable,
                @Description, @Enabled, @Cron, @TimeZone, @CreatedBy, @CreatedAt, @ChangedBy, @ChangedAt)
        ON CONFLICT (name) DO NOTHING
        """;

    /// <summary>Inserts <paramref name="row"/>; false when the name is already taken.</summary>
    public static async Task<bool> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, HttpCallTypeRow row, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(InsertSql, row, cancellationToken, transaction) == 1;

    private const string UpdateSql = """
        UPDATE job_type_definitions
           SET service = @Service, method = @Method, path = @Path, body = @Body::jsonb, items_field = @ItemsField,
               timeout_seconds = @TimeoutSeconds, retries = @Retries, recoverable = @Recoverable, description = @Description,
               enabled = @Enabled, cron = @Cron, time_zone = @TimeZone, changed_by = @ChangedBy, changed_at = @ChangedAt
         WHERE name = @Name
        """;

    public static Task UpdateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, HttpCallTypeRow row, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(UpdateSql, row, cancellationToken, transaction);

    private const string DeleteSql = "DELETE FROM job_type_definitions WHERE name = @name";

    public static Task DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(DeleteSql, new { name }, cancellationToken, transaction);

    private const string AnnounceSql = """
        INSERT INTO scheduler_events (topic, kind, job_type) VALUES ('job_type', @kind, @name)
        """;

    /// <summary>
    /// Tells the live views that the type was <paramref name="kind"/>
    /// (defined, changed, deleted, disabled, enabled).
    /// </summary>
    public static Task AnnounceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, string kind, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(AnnounceSql, new { name, kind }, cancellationToken, transaction);

    // 'scheduled' (a run recorded for later) would lose its trigger with the job, as a pending one would.
    private const string ActiveRunSql = "SELECT id FROM scheduled_jobs WHERE job_type = @name AND status IN ('scheduled', 'pending', 'running') LIMIT 1";

    /// <summary>A scheduled, pending or running execution of the type, if one is committed.</summary>
    public static Task<Guid?> ActiveRunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Guid?>(ActiveRunSql, new { name }, cancellationToken, transaction);
}

/// <summary>One row of <c>job_type_definitions</c>.</summary>
public sealed record HttpCallTypeRow
{
    public required string Name { get; init; }
    public required string Service { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }

    /// <summary>The JSON body as text, or null.</summary>
    public string? Body { get; init; }

    public string? ItemsField { get; init; }
    public required int TimeoutSeconds { get; init; }
    public required int Retries { get; init; }
    public required bool Recoverable { get; init; }
    public required string Description { get; init; }
    public required bool Enabled { get; init; }

    /// <summary>The <c>default</c> schedule's Quartz cron, or null when the type runs only when triggered.</summary>
    public string? Cron { get; init; }

    public required string TimeZone { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string ChangedBy { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }

    /// <summary>The type as the catalog holds it.</summary>
    public JobDefinition ToDefinition() => new()
    {
        Name = Name,
        Description = Description,
        Kind = JobKind.HttpCall,
        JobClass = typeof(HttpCallJob),
        Cron = Cron ?? "",
        TimeZone = TimeZone,
        Enabled = Enabled,
        Scheduled = Cron is not null,
        Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
        Retry = Retries == 0
            ? Quartz.RetryPolicy.None
            : Quartz.RetryPolicy.Exponential(Retries, JobDefinition.DefaultRetryDelay, 2.0, JobDefinition.DefaultRetryMaxDelay),
        Recoverable = Recoverable,
        Services = [Service],
        Call = new HttpCallTarget(Service, Method, Path, ItemsField, Body is null ? null : JsonSerializer.Deserialize<JsonElement>(Body)),
        Source = JobTypeSources.Api,
    };
}
