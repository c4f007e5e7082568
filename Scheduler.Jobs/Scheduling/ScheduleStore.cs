using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Scheduling;

/// <summary>Every read and write of <c>schedule_overrides</c>, <c>schedule_pauses</c> and <c>schedule_backfills</c>.</summary>
public sealed class ScheduleStore(NpgsqlDataSource dataSource)
{
    private const string OverridesSql = """
        SELECT job_type AS JobType, cron AS Cron, time_zone AS TimeZone, enabled AS Enabled, changed_by AS ChangedBy, changed_at AS ChangedAt
          FROM schedule_overrides
        """;

    public async Task<IReadOnlyDictionary<string, ScheduleOverride>> OverridesAsync(CancellationToken cancellationToken) =>
        (await dataSource.QueryAsync<ScheduleOverride>(OverridesSql, null, cancellationToken)).ToDictionary(r => r.JobType, StringComparer.Ordinal);

    /// <summary>
    /// The advisory lock schedule changes and start-up reconciliation take turns under, so that a node reconciling
    /// from what is stored never interleaves with a change being stored and applied (the migrations use 7005202501).
    /// </summary>
    public const long ScheduleLock = 7005202502;

    private const string SaveOverrideSql = """
        INSERT INTO schedule_overrides (job_type, cron, time_zone, enabled, changed_by, changed_at)
        VALUES (@JobType, @Cron, @TimeZone, @Enabled, @ChangedBy, @ChangedAt)
        ON CONFLICT (job_type) DO UPDATE
           SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, enabled = EXCLUDED.enabled,
               changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at
        """;

    /// <summary>
    /// Stores <paramref name="change"/> and runs <paramref name="apply"/> (putting it into Quartz) in one transaction,
    /// committed only once <paramref name="apply"/> has returned: when it throws, no override is left behind.
    /// </summary>
    public Task SaveOverrideAsync(ScheduleOverride change, Func<CancellationToken, Task> apply, CancellationToken cancellationToken) =>
        InScheduleTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(SaveOverrideSql, change, cancellationToken, transaction);
            await apply(cancellationToken);
            return true;
        }, cancellationToken);

    private const string DeleteOverrideSql = "DELETE FROM schedule_overrides WHERE job_type = @jobType";

    /// <summary>
    /// Deletes the type's override and runs <paramref name="apply"/> (returning Quartz to configuration) in one
    /// transaction, as <see cref="SaveOverrideAsync"/> does; false, with nothing run, when there was no override.
    /// </summary>
    public Task<bool> DeleteOverrideAsync(string jobType, Func<CancellationToken, Task> apply, CancellationToken cancellationToken) =>
        InScheduleTransactionAsync(async (connection, transaction) =>
        {
            if (await connection.ExecuteAsync(DeleteOverrideSql, new { jobType }, cancellationToken, transaction) == 0)
            {
                return false;
            }

            await apply(cancellationToken);
            return true;
        }, cancellationToken);

    private const string ScheduleLockSql = "SELECT pg_advisory_xact_lock(@ScheduleLock)";

    /// <summary>Past <paramref name="work"/> the trigger has changed: the row must follow whether or not the caller has gone.</summary>
    private Task<T> InScheduleTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        dataSource.UseTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(ScheduleLockSql, new { ScheduleLock }, cancellationToken, transaction);
            return await work(connection, transaction);
        }, cancellationToken);

    private const string PauseExpiriesSql = "SELECT job_type AS JobType, paused_until AS Until FROM schedule_pauses";

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> PauseExpiriesAsync(CancellationToken cancellationToken) =>
        (await dataSource.QueryAsync<PauseRow>(PauseExpiriesSql, null, cancellationToken)).ToDictionary(r => r.JobType, r => r.Until, StringComparer.Ordinal);

    private sealed record PauseRow(string JobType, DateTimeOffset Until);

    private const string ClearPauseExpirySql = "DELETE FROM schedule_pauses WHERE job_type = @jobType";

    private const string SetPauseExpirySql = """
        INSERT INTO schedule_pauses (job_type, paused_until) VALUES (@jobType, @until)
        ON CONFLICT (job_type) DO UPDATE SET paused_until = EXCLUDED.paused_until
        """;

    /// <summary>Sets (or, with null, clears) when the type's pause ends by itself.</summary>
    public Task SetPauseExpiryAsync(string jobType, DateTimeOffset? until, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(until is null ? ClearPauseExpirySql : SetPauseExpirySql, new { jobType, until }, cancellationToken);

    private const string TakeExpiredPausesSql = "DELETE FROM schedule_pauses WHERE paused_until <= @now RETURNING job_type";

    /// <summary>Claims the pauses that have expired by <paramref name="now"/>: each is returned to exactly one caller across the cluster.</summary>
    public Task<IReadOnlyList<string>> TakeExpiredPausesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<string>(TakeExpiredPausesSql, new { now }, cancellationToken);

    private const string RecordedOccurrencesSql = """
        SELECT scheduled_for FROM scheduled_jobs
         WHERE job_type = @jobType AND scheduled_for >= @from AND scheduled_for < @to AND COALESCE(schedule, 'default') = 'default' AND trigger IN ('cron', 'backfill')
        """;

    /// <summary>The occurrences of <paramref name="jobType"/> in [<paramref name="from"/>, <paramref name="to"/>) that have a row, whatever its status.</summary>
    public async Task<IReadOnlySet<DateTimeOffset>> RecordedOccurrencesAsync(string jobType, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        (await dataSource.QueryAsync<DateTimeOffset>(RecordedOccurrencesSql, new { jobType, from, to }, cancellationToken)).ToHashSet();

    private const string RecordedAmongSql = """
        SELECT q.job_type FROM unnest(@types, @times) AS q(job_type, scheduled_for)
         WHERE EXISTS (SELECT 1 FROM scheduled_jobs s
                        WHERE s.job_type = q.job_type AND s.scheduled_for = q.scheduled_for AND COALESCE(s.schedule, 'default') = 'default' AND s.trigger IN ('cron', 'backfill'))
        """;

    /// <summary>Of the given occurrences (job type → time), the job types whose occurrence has a row, in one query.</summary>
    public async Task<IReadOnlySet<string>> RecordedAmongAsync(IReadOnlyDictionary<string, DateTimeOffset> occurrences, CancellationToken cancellationToken)
    {
        if (occurrences.Count == 0)
        {
            return new HashSet<string>();
        }

        // Arrays go to Npgsql as they are, past the type handler: as UTC DateTimes.
        var found = await dataSource.QueryAsync<string>(
            RecordedAmongSql, new { types = occurrences.Keys.ToArray(), times = occurrences.Values.Select(t => t.UtcDateTime).ToArray() }, cancellationToken);
        return found.ToHashSet(StringComparer.Ordinal);
    }

    private const string CreateBackfillSql = """
        INSERT INTO schedule_backfills (job_type, occurrences, requested_by, requested_at)
        VALUES (@jobType, @occurrences, @requestedBy, @now) RETURNING id
        """;

    public Task<Guid> CreateBackfillAsync(string jobType, IReadOnlyList<DateTimeOffset> occurrences, string requestedBy, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.ExecuteScalarAsync<Guid>(
            CreateBackfillSql, new { jobType, occurrences = occurrences.Select(o => o.UtcDateTime).ToArray(), requestedBy, now }, cancellationToken);

    private const string OpenBackfillsSql = """
        SELECT b.id AS Id, b.job_type AS JobType, b.requested_by AS RequestedBy,
               (SELECT min(o) FROM unnest(b.occurrences) AS o
                 WHERE NOT EXISTS (SELECT 1 FROM scheduled_jobs s
                                   WHERE s.job_type = b.job_type AND s.scheduled_for = o AND COALESCE(s.schedule, 'default') = 'default' AND s.trigger IN ('cron', 'backfill'))) AS NextOccurrence
          FROM schedule_backfills b
         WHERE b.finished_at IS NULL
         ORDER BY b.requested_at
        """;

    /// <summary>Unfinished backfills, each with its earliest occurrence that has no row yet (null when every one has).</summary>
    public Task<IReadOnlyList<OpenBackfill>> OpenBackfillsAsync(CancellationToken cancellationToken) =>
        dataSource.QueryAsync<OpenBackfill>(OpenBackfillsSql, null, cancellationToken);

    private const string FinishBackfillSql = "UPDATE schedule_backfills SET finished_at = @now WHERE id = @id AND finished_at IS NULL";

    public Task FinishBackfillAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(FinishBackfillSql, new { id, now }, cancellationToken);
}

/// <summary>A run-time schedule for a job type, in place of its configured one.</summary>
public sealed record ScheduleOverride(string JobType, string Cron, string TimeZone, bool Enabled, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>An unfinished backfill and the next occurrence it has to run.</summary>
public sealed record OpenBackfill(Guid Id, string JobType, string RequestedBy, DateTimeOffset? NextOccurrence);
