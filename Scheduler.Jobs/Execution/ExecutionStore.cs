using System.Text.Json;
using Dapper;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;

namespace Scheduler.Jobs.Execution;

/// <summary>Every read and write of <c>scheduled_jobs</c>.</summary>
public sealed class ExecutionStore(NpgsqlDataSource dataSource)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns = """
        id AS Id, job_type AS JobType, status AS Status, trigger AS Trigger,
        scheduled_for AS ScheduledFor, started_at AS StartedAt, completed_at AS CompletedAt,
        started_by AS StartedBy, runner_id AS RunnerId, attempt AS Attempt, retry_of AS RetryOf,
        parameters::text AS Parameters, error AS Error, result::text AS Result,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string InsertPendingSql = $"""
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, parameters, created_at, updated_at)
        VALUES (@jobType, 'pending', 'manual', @startedBy, @parameters::jsonb, @now, @now)
        RETURNING {Columns}
        """;

    /// <summary>Records a manual run as <c>pending</c>, before Quartz is asked to run it.</summary>
    public async Task<JobExecution> CreatePendingAsync(
        string jobType, string? startedBy, JsonElement? parameters, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<ExecutionRow>(new CommandDefinition(InsertPendingSql, new
        {
            jobType,
            startedBy,
            parameters = parameters is { } p ? p.GetRawText() : null,
            now,
        }, cancellationToken: cancellationToken));
        return row.ToContract();
    }

    private const string ClaimPendingSql = """
        UPDATE scheduled_jobs
           SET status = 'running', started_at = @now, runner_id = @runnerId, updated_at = @now
         WHERE id = @id AND status = 'pending'
        """;

    /// <summary>Moves a pending manual run to <c>running</c> on this node. False when it is no longer pending.</summary>
    public async Task<bool> ClaimPendingAsync(Guid id, string runnerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var claimed = await connection.ExecuteAsync(new CommandDefinition(ClaimPendingSql, new { id, runnerId, now }, cancellationToken: cancellationToken));
        return claimed == 1;
    }

    private const string ClaimOccurrenceSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_at, started_by, runner_id, created_at, updated_at)
        VALUES (@jobType, 'running', 'cron', @scheduledFor, @now, 'scheduler', @runnerId, @now, @now)
        ON CONFLICT (job_type, scheduled_for) WHERE trigger = 'cron' DO NOTHING
        RETURNING id
        """;

    /// <summary>
    /// Records a cron occurrence as <c>running</c> on this node. Null when the occurrence is
    /// already recorded: then it has run, or is running, somewhere, and must not run again.
    /// </summary>
    public async Task<Guid?> ClaimOccurrenceAsync(
        string jobType, DateTimeOffset scheduledFor, string runnerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            ClaimOccurrenceSql, new { jobType, scheduledFor, runnerId, now }, cancellationToken: cancellationToken));
    }

    private const string InsertRunningSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, started_by, runner_id, created_at, updated_at)
        VALUES (@jobType, 'running', 'manual', @now, 'scheduler', @runnerId, @now, @now)
        RETURNING id
        """;

    /// <summary>Records a firing that came with no execution of its own (a trigger created outside the API).</summary>
    public async Task<Guid> StartUnrecordedAsync(string jobType, string runnerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<Guid>(new CommandDefinition(
            InsertRunningSql, new { jobType, runnerId, now }, cancellationToken: cancellationToken));
    }

    private const string FinishSql = """
        UPDATE scheduled_jobs
           SET status = @status, error = @error, result = @result::jsonb, completed_at = @now, updated_at = @now
         WHERE id = @id AND status IN ('pending', 'running')
        """;

    /// <summary>Writes how an execution ended. Only a pending or running row changes: a finished row is never rewritten.</summary>
    public async Task<bool> FinishAsync(
        Guid id, string status, string? error, JobResult? result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(FinishSql, new
        {
            id,
            status,
            error,
            result = result is null ? null : JsonSerializer.Serialize(result, Json),
            now,
        }, cancellationToken: cancellationToken));
        return changed == 1;
    }

    private const string ArchivedColumns = """
        id, job_type, status, started_at, completed_at, started_by, error, result, created_at, updated_at,
        trigger, scheduled_for, runner_id, attempt, retry_of, parameters, idempotency_key, heartbeat_at, cancel_requested_at
        """;

    private const string ArchiveBatchSql = $"""
        WITH moved AS (
          DELETE FROM scheduled_jobs
           WHERE id IN (SELECT id FROM scheduled_jobs
                         WHERE status IN ('completed', 'failed', 'cancelled', 'skipped') AND completed_at < @cutoff
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
    public async Task<int> ArchiveFinishedBeforeAsync(DateTimeOffset cutoff, int batchSize, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(ArchiveBatchSql, new { cutoff, batchSize, now }, cancellationToken: cancellationToken));
    }

    private const string GetSql = $"SELECT {Columns} FROM scheduled_jobs WHERE id = @id";

    public async Task<JobExecution?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ExecutionRow>(new CommandDefinition(GetSql, new { id }, cancellationToken: cancellationToken));
        return row?.ToContract();
    }

    /// <summary>One page of executions matching <paramref name="filter"/>, newest first, and how many match in all.</summary>
    public async Task<(IReadOnlyList<JobExecution> Page, long Total)> ListAsync(
        ExecutionFilter filter, int page, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new DynamicParameters();
        void Add(string condition, string name, object value)
        {
            where.Add(condition);
            parameters.Add(name, value);
        }

        if (filter.JobType is { } jobType)
        {
            Add("job_type = @jobType", "jobType", jobType);
        }

        if (filter.Status is { } status)
        {
            Add("status = @status", "status", status);
        }

        if (filter.StartedBy is { } startedBy)
        {
            Add("started_by = @startedBy", "startedBy", startedBy);
        }

        if (filter.From is { } from)
        {
            Add("created_at >= @from", "from", from);
        }

        if (filter.To is { } to)
        {
            Add("created_at < @to", "to", to);
        }

        var whereClause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        parameters.Add("limit", limit);
        parameters.Add("offset", (long)(page - 1) * limit);

        var sql = $"""
            SELECT count(*) FROM scheduled_jobs {whereClause};
            SELECT {Columns} FROM scheduled_jobs {whereClause}
             ORDER BY created_at DESC, id DESC
             LIMIT @limit OFFSET @offset;
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var total = await results.ReadSingleAsync<long>();
        var rows = await results.ReadAsync<ExecutionRow>();
        return ([.. rows.Select(r => r.ToContract())], total);
    }

    private sealed class ExecutionRow
    {
        public Guid Id { get; init; }
        public string JobType { get; init; } = "";
        public string Status { get; init; } = "";
        public string Trigger { get; init; } = "";
        public DateTime? ScheduledFor { get; init; }
        public DateTime? StartedAt { get; init; }
        public DateTime? CompletedAt { get; init; }
        public string? StartedBy { get; init; }
        public string? RunnerId { get; init; }
        public int Attempt { get; init; }
        public Guid? RetryOf { get; init; }
        public string? Parameters { get; init; }
        public string? Error { get; init; }
        public string? Result { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public JobExecution ToContract() => new()
        {
            Id = Id,
            JobType = JobType,
            Status = Status,
            Trigger = Trigger,
            ScheduledFor = Utc(ScheduledFor),
            StartedAt = Utc(StartedAt),
            CompletedAt = Utc(CompletedAt),
            StartedBy = StartedBy,
            RunnerId = RunnerId,
            Attempt = Attempt,
            RetryOf = RetryOf,
            Parameters = Parameters is null ? null : JsonSerializer.Deserialize<JsonElement>(Parameters),
            Error = Error,
            Result = Result is null ? null : JsonSerializer.Deserialize<JobResult>(Result, Json),
            CreatedAt = Utc(CreatedAt),
            UpdatedAt = Utc(UpdatedAt),
        };

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

        private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
    }
}
