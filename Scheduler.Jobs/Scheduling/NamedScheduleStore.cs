using Npgsql;
using Quartz;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Scheduling;

/// <summary>Every read and write of <c>job_schedules</c>, the schedules created through the API.</summary>
public sealed class NamedScheduleStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        job_type AS JobType, name AS Name, kind AS Kind, cron AS Cron, interval_text AS IntervalText,
        starts_at AS StartsAt, ends_at AS EndsAt, time_zone AS TimeZone, parameters::text AS Parameters,
        jitter_ms AS JitterMs, misfire_policy AS MisfirePolicy, catch_up_limit AS CatchUpLimit, enabled AS Enabled,
        owner AS Owner, description AS Description, created_by AS CreatedBy, created_at AS CreatedAt,
        changed_by AS ChangedBy, changed_at AS ChangedAt
        """;

    private const string ListSql = $"SELECT {Columns} FROM job_schedules ORDER BY job_type, name";

    public Task<IReadOnlyList<NamedSchedule>> ListAsync(CancellationToken cancellationToken) =>
        dataSource.QueryAsync<NamedSchedule>(ListSql, null, cancellationToken);

    private const string GetSql = $"SELECT {Columns} FROM job_schedules WHERE job_type = @jobType AND name = @name";

    public Task<NamedSchedule?> GetAsync(string jobType, string name, CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<NamedSchedule>(GetSql, new { jobType, name }, cancellationToken);

    private const string LockSql = $"SELECT {Columns} FROM job_schedules WHERE job_type = @jobType AND name = @name FOR UPDATE";

    /// <summary>The row, locked for the rest of <paramref name="transaction"/>; null when there is none.</summary>
    public static Task<NamedSchedule?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string jobType, string name, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<NamedSchedule>(LockSql, new { jobType, name }, cancellationToken, transaction);

    private const string CountOfTypeSql = "SELECT count(*) FROM job_schedules WHERE job_type = @jobType";

    public static Task<long> CountOfTypeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string jobType, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(CountOfTypeSql, new { jobType }, cancellationToken, transaction);

    private const string InsertSql = """
        INSERT INTO job_schedules (job_type, name, kind, cron, interval_text, starts_at, ends_at, time_zone, parameters, jitter_ms,
                                   misfire_policy, catch_up_limit, enabled, owner, description, created_by, created_at, changed_by, changed_at)
        VALUES (@JobType, @Name, @Kind, @Cron, @IntervalText, @StartsAt, @EndsAt, @TimeZone, @Parameters::jsonb, @JitterMs,
                @MisfirePolicy, @CatchUpLimit, @Enabled, @Owner, @Description, @CreatedBy, @CreatedAt, @ChangedBy, @ChangedAt)
        ON CONFLICT (job_type, name) DO NOTHING
        """;

    /// <summary>Inserts the row; false when the type already has a schedule of that name.</summary>
    public static async Task<bool> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NamedSchedule schedule, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(InsertSql, schedule, cancellationToken, transaction) == 1;

    private const string ReplaceSql = """
        UPDATE job_schedules
           SET kind = @Kind, cron = @Cron, interval_text = @IntervalText, starts_at = @StartsAt, ends_at = @EndsAt,
               time_zone = @TimeZone, parameters = @Parameters::jsonb, jitter_ms = @JitterMs, misfire_policy = @MisfirePolicy,
               catch_up_limit = @CatchUpLimit, enabled = @Enabled, description = @Description,
               changed_by = @ChangedBy, changed_at = @ChangedAt
         WHERE job_type = @JobType AND name = @Name
        """;

    public static Task<int> ReplaceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NamedSchedule schedule, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(ReplaceSql, schedule, cancellationToken, transaction);

    private const string DeleteSql = "DELETE FROM job_schedules WHERE job_type = @jobType AND name = @name";

    public static Task<int> DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string jobType, string name, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(DeleteSql, new { jobType, name }, cancellationToken, transaction);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction that <paramref name="scheduler"/>'s store takes part in (its trigger
    /// changes commit with the row, or neither does), committed once it returns; rolled back when it throws. Past
    /// <paramref name="work"/> the caller going away does not abandon the commit.
    /// </summary>
    public Task<T> InTransactionAsync<T>(IScheduler scheduler, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Disposing the enlistment after the commit tells this node's scheduler about the changed triggers once they are visible.
            using (scheduler.EnlistTransaction(transaction))
            {
                var result = await work(connection, transaction);
                await transaction.CommitAsync(CancellationToken.None);
                return result;
            }
        }, cancellationToken);
}
