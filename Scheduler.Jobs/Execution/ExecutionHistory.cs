using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>The reads of <c>scheduled_jobs</c>: one execution, pages of them, what runs now and how long runs take.</summary>
public sealed class ExecutionHistory(NpgsqlDataSource dataSource)
{
    private const string GetSql = $"SELECT {ExecutionRow.Columns} FROM scheduled_jobs WHERE id = @id";

    public async Task<JobExecution?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await dataSource.QuerySingleOrDefaultAsync<ExecutionRow>(GetSql, new { id }, cancellationToken))?.ToContract();

    /// <summary>The executions matching an optional type and status: folded counts plus the deltas not folded yet.</summary>
    private const string MaintainedTotalSql = """
        SELECT coalesce((SELECT sum(n) FROM scheduled_jobs_counts
                          WHERE (@jobType::text IS NULL OR job_type = @jobType) AND (@status::text IS NULL OR status = @status)), 0)
             + coalesce((SELECT sum(delta) FROM scheduled_jobs_count_deltas
                          WHERE (@jobType::text IS NULL OR job_type = @jobType) AND (@status::text IS NULL OR status = @status)), 0)
        """;

    /// <summary>
    /// One page of executions, newest first, by page number or after <paramref name="after"/>, with the exact number
    /// matching. Filtered by type and status alone (or not at all), the total comes from the maintained counts
    /// (migration 009) instead of counting the history.
    /// </summary>
    public async Task<(IReadOnlyList<JobExecution> Page, long Total, PageCursor? Next)> ListAsync(
        ExecutionFilter filter, int page, int limit, PageCursor? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var countable = filter is { StartedBy: null, From: null, To: null, Schedule: null, Reason: null };
        var (rows, total, next) = await new PagedQuery("scheduled_jobs", ExecutionRow.Columns, "created_at", "id", PageCursorId.Uuid)
            .Where("job_type = @jobType", "jobType", filter.JobType)
            .Where("status = @status", "status", filter.Status?.ToText())
            .Where("started_by = @startedBy", "startedBy", filter.StartedBy)
            .Where("schedule = @schedule", "schedule", filter.Schedule)
            .Where("scheduler_failure_reason(error) = @reason", "reason", filter.Reason)
            .Where("created_at >= @from", "from", filter.From)
            .Where("created_at < @to", "to", filter.To)
            .CountWith(countable ? MaintainedTotalSql : null, ("jobType", filter.JobType), ("status", filter.Status?.ToText()))
            .RunAsync<ExecutionRow>(dataSource, page, limit, after, r => new PageCursor(r.CreatedAt.UtcDateTime, r.Id.ToString()), cancellationToken);
        return ([.. rows.Select(r => r.ToContract())], total, next);
    }

    private const string RetriedBySql = "SELECT id FROM scheduled_jobs WHERE retry_of = @id ORDER BY created_at LIMIT 1";

    /// <summary>The execution that retries or recovers <paramref name="id"/>, if there is one.</summary>
    public Task<Guid?> RetriedByAsync(Guid id, CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<Guid?>(RetriedBySql, new { id }, cancellationToken);

    private const string CancelledBySql = "SELECT cancelled_by FROM scheduled_jobs WHERE id = @id";

    /// <summary>Who asked to cancel the execution, if anyone did.</summary>
    public Task<string?> CancelledByAsync(Guid id, CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<string?>(CancelledBySql, new { id }, cancellationToken);

    private const string RunningSql = """
        SELECT job_type AS JobType, id AS Id, started_at AS StartedAt, runner_id AS RunnerId
          FROM scheduled_jobs WHERE status = 'running'
        """;

    /// <summary>Every execution running now, across the cluster.</summary>
    public Task<IReadOnlyList<RunningRow>> RunningAsync(CancellationToken cancellationToken) =>
        dataSource.QueryAsync<RunningRow>(RunningSql, null, cancellationToken);

    // The earliest-due scheduled run of each type, and how many it has (scheduled runs are few, and indexed by due time).
    private const string ScheduledSql = """
        SELECT DISTINCT ON (job_type) job_type AS JobType, id AS Id, scheduled_for AS ScheduledFor,
               count(*) OVER (PARTITION BY job_type)::int AS Count
          FROM scheduled_jobs WHERE status = 'scheduled'
         ORDER BY job_type, scheduled_for, id
        """;

    /// <summary>Per job type with runs scheduled for later: the next one due, and how many there are.</summary>
    public Task<IReadOnlyList<ScheduledRow>> ScheduledAsync(CancellationToken cancellationToken) =>
        dataSource.QueryAsync<ScheduledRow>(ScheduledSql, null, cancellationToken);

    private const string TypicalDurationsSql = """
        SELECT t.job_type AS JobType,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY recent.seconds) AS P50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY recent.seconds) AS P95,
               count(*)::int AS Samples
          FROM unnest(@types) AS t(job_type)
         CROSS JOIN LATERAL (
               SELECT extract(epoch FROM completed_at - started_at)::float8 AS seconds
                 FROM scheduled_jobs s
                WHERE s.job_type = t.job_type AND s.status = 'completed' AND s.completed_at >= @since AND s.started_at IS NOT NULL
                ORDER BY s.completed_at DESC
                LIMIT @samples) recent
         GROUP BY t.job_type
        """;

    /// <summary>
    /// Median and 95th percentile duration of the last <paramref name="samples"/> successful runs of each of
    /// <paramref name="types"/> since <paramref name="since"/> (one index range per type).
    /// </summary>
    public Task<IReadOnlyList<DurationRow>> TypicalDurationsAsync(IReadOnlyList<string> types, DateTimeOffset since, int samples, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<DurationRow>(TypicalDurationsSql, new { types = types.ToArray(), since, samples }, cancellationToken);
}

/// <summary>An execution running now.</summary>
public sealed record RunningRow(string JobType, Guid Id, DateTimeOffset StartedAt, string? RunnerId);

/// <summary>A job type's next run scheduled for later, and how many it has.</summary>
public sealed record ScheduledRow(string JobType, Guid Id, DateTimeOffset ScheduledFor, int Count);

/// <summary>A job type's typical duration in seconds.</summary>
public sealed record DurationRow(string JobType, double P50, double P95, int Samples);
