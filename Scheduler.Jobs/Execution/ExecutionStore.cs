using System.Text.Json;
using Dapper;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>Every read and write of <c>scheduled_jobs</c>.</summary>
public sealed class ExecutionStore(NpgsqlDataSource dataSource)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>An execution's columns, named as <see cref="ExecutionRow"/> reads them.</summary>
    internal const string Columns = """
        id AS Id, job_type AS JobType, status AS Status, trigger AS Trigger,
        scheduled_for AS ScheduledFor, started_at AS StartedAt, completed_at AS CompletedAt,
        started_by AS StartedBy, runner_id AS RunnerId, attempt AS Attempt, retry_of AS RetryOf,
        root_id AS RootId, parameters::text AS Parameters, progress::text AS Progress, error AS Error, result::text AS Result,
        cancel_requested_at AS CancelRequestedAt, cancelled_by AS CancelledBy, heartbeat_at AS HeartbeatAt,
        fire_instance_id AS FireInstanceId, idempotency_key AS IdempotencyKey, request_hash AS RequestHash,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string ActiveIndex = "ux_scheduled_jobs_one_active_per_type";
    private const string IdempotencyIndex = "ux_scheduled_jobs_idempotency_key";

    private const string InsertPendingSql = $"""
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, parameters, idempotency_key, request_hash,
                                    retry_of, root_id, attempt, scheduled_for, created_at, updated_at)
        VALUES (@JobType, 'pending', @Trigger, @StartedBy, @Parameters::jsonb, @IdempotencyKey, @RequestHash,
                @RetryOf, @RootId, @Attempt, @ScheduledFor, @Now, @Now)
        RETURNING {Columns}
        """;

    private const string ActiveOfTypeSql = "SELECT id FROM scheduled_jobs WHERE job_type = @jobType AND status IN ('pending', 'running')";

    private const string ByIdempotencyKeySql = $"SELECT {Columns} FROM scheduled_jobs WHERE idempotency_key = @key";

    /// <summary>
    /// Records a run as <c>pending</c> before Quartz is asked to run it. At most one execution per
    /// job type is pending or running across the cluster, and an idempotency key names one execution:
    /// the database decides both, so concurrent requests on different nodes agree.
    /// </summary>
    public async Task<PendingOutcome> CreatePendingAsync(NewExecution execution, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // A conflict with a run that finishes meanwhile is retried; three rounds settle any race.
        for (var round = 0; ; round++)
        {
            try
            {
                var row = await connection.QuerySingleAsync<ExecutionRow>(new CommandDefinition(InsertPendingSql, new
                {
                    execution.JobType,
                    execution.Trigger,
                    execution.StartedBy,
                    Parameters = execution.Parameters?.GetRawText(),
                    execution.IdempotencyKey,
                    execution.RequestHash,
                    execution.RetryOf,
                    execution.RootId,
                    execution.Attempt,
                    execution.ScheduledFor,
                    Now = now,
                }, cancellationToken: cancellationToken));
                return new PendingOutcome.Created(row.ToContract());
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName is ActiveIndex or IdempotencyIndex)
            {
                if (execution.IdempotencyKey is { } key
                    && await connection.QuerySingleOrDefaultAsync<ExecutionRow>(new CommandDefinition(ByIdempotencyKeySql, new { key }, cancellationToken: cancellationToken)) is { } earlier)
                {
                    return new PendingOutcome.Replayed(earlier.ToContract(), earlier.RequestHash == execution.RequestHash);
                }

                var active = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(ActiveOfTypeSql, new { jobType = execution.JobType }, cancellationToken: cancellationToken));
                if (active is { } activeId)
                {
                    return new PendingOutcome.Busy(activeId);
                }

                if (round == 2)
                {
                    throw;
                }
            }
        }
    }

    private const string WaitingRecoverySql = """
        SELECT o.id FROM scheduled_jobs o
         WHERE o.job_type = @jobType AND o.status IN ('failed', 'cancelled')
           AND (o.result->'details'->>'failure') IN ('runner_lost', 'shutdown')
           AND o.completed_at > @since
           AND NOT EXISTS (SELECT 1 FROM scheduled_jobs r WHERE r.retry_of = o.id AND r.trigger = 'recovery')
         ORDER BY o.completed_at
         LIMIT 1
        """;

    /// <summary>A run of <paramref name="jobType"/> lost since <paramref name="since"/> whose re-run has not started yet, if any.</summary>
    public async Task<Guid?> WaitingRecoveryAsync(string jobType, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(WaitingRecoverySql, new { jobType, since }, cancellationToken: cancellationToken));
    }

    private const string AbandonRecoveriesSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, attempt, retry_of, root_id, parameters,
                                    error, result, completed_at, created_at, updated_at)
        SELECT o.job_type, 'failed', 'recovery', o.started_by, o.attempt + 1, o.id, COALESCE(o.root_id, o.id), o.parameters,
               @error, @result::jsonb, @now, @now, @now
          FROM scheduled_jobs o
         WHERE o.status IN ('failed', 'cancelled')
           AND (o.result->'details'->>'failure') IN ('runner_lost', 'shutdown')
           AND o.completed_at < @waitedSince AND o.completed_at > @horizon
           AND NOT EXISTS (SELECT 1 FROM scheduled_jobs r WHERE r.retry_of = o.id AND r.trigger = 'recovery')
        ON CONFLICT (retry_of) WHERE trigger = 'recovery' DO NOTHING
        RETURNING retry_of AS Id, job_type AS JobType, runner_id AS RunnerId
        """;

    /// <summary>
    /// Gives up the re-runs of lost runs that have waited since before <paramref name="waitedSince"/> (their type stayed
    /// busy): each gets a <c>recovery</c> row ended <c>failed</c> with the reason, so nothing waits on it any longer
    /// and an operator sees why it was not re-run. Returns the lost runs given up.
    /// </summary>
    public async Task<IReadOnlyList<LostExecution>> AbandonRecoveriesAsync(DateTimeOffset waitedSince, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<LostExecution>(new CommandDefinition(AbandonRecoveriesSql, new
        {
            waitedSince, error, now,
            horizon = waitedSince - TimeSpan.FromDays(1),
            result = Serialize(JobResults.Failed(error, FailureKind.RecoveryAbandoned)),
        }, cancellationToken: cancellationToken))];
    }

    private const string RequestCancelSql = """
        UPDATE scheduled_jobs
           SET status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,
               completed_at = CASE WHEN status = 'pending' THEN @now ELSE completed_at END,
               error = CASE WHEN status = 'pending' THEN 'cancelled by ' || @by || ' before it ran' ELSE error END,
               result = CASE WHEN status = 'pending' THEN @result::jsonb ELSE result END,
               cancel_requested_at = COALESCE(cancel_requested_at, @now),
               cancelled_by = COALESCE(cancelled_by, @by),
               updated_at = @now
         WHERE id = @id AND status IN ('pending', 'running')
        RETURNING status AS Status, fire_instance_id AS FireInstanceId, runner_id AS RunnerId
        """;

    /// <summary>
    /// Asks to cancel an execution. A pending one is cancelled here and never runs; a running one is
    /// marked, and the caller interrupts its firing. Null when the execution is not pending or running.
    /// </summary>
    public async Task<CancelRequest?> RequestCancelAsync(Guid id, string by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<CancelRequest>(new CommandDefinition(RequestCancelSql, new
        {
            id, by, now,
            result = Serialize(JobResults.Failed($"cancelled by {by} before it ran", FailureKind.Cancelled)),
        }, cancellationToken: cancellationToken));
    }

    private const string RetriedBySql = "SELECT id FROM scheduled_jobs WHERE retry_of = @id ORDER BY created_at LIMIT 1";

    /// <summary>The execution that retries or recovers <paramref name="id"/>, if there is one.</summary>
    public async Task<Guid?> RetriedByAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(RetriedBySql, new { id }, cancellationToken: cancellationToken));
    }

    private const string CancelledBySql = "SELECT cancelled_by FROM scheduled_jobs WHERE id = @id";

    /// <summary>Who asked to cancel the execution, if anyone did.</summary>
    public async Task<string?> CancelledByAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(CancelledBySql, new { id }, cancellationToken: cancellationToken));
    }

    private const string StrandedSql = """
        SELECT id AS Id, job_type AS JobType, created_at AS CreatedAt
          FROM scheduled_jobs
         WHERE status = 'pending' AND created_at < @olderThan
         ORDER BY created_at
         LIMIT 100
        """;

    /// <summary>Pending executions recorded before <paramref name="olderThan"/>: candidates for a stranded hand-over.</summary>
    public async Task<IReadOnlyList<PendingExecution>> PendingOlderThanAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PendingExecution>(new CommandDefinition(StrandedSql, new { olderThan }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    private const string FailPendingSql = """
        UPDATE scheduled_jobs
           SET status = 'failed', error = @error, result = @result::jsonb, completed_at = @now, updated_at = @now
         WHERE id = @id AND status = 'pending'
        """;

    /// <summary>
    /// Ends a run that never started (its hand-over to Quartz failed, or it was stranded) as <c>failed</c>. Only a
    /// pending row changes: a running one is its owner's to finish (<see cref="RunStore.FinishAsync"/>).
    /// </summary>
    public async Task<bool> FailPendingAsync(Guid id, string error, JobResult result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(FailPendingSql, new
        {
            id, error, now,
            result = Serialize(result),
        }, cancellationToken: cancellationToken)) == 1;
    }

    private const string ArchivedColumns = """
        id, job_type, status, started_at, completed_at, started_by, error, result, created_at, updated_at,
        trigger, scheduled_for, runner_id, attempt, retry_of, parameters, idempotency_key, heartbeat_at, cancel_requested_at,
        root_id, fire_instance_id, cancelled_by, request_hash
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

    private static string Serialize(JobResult result) => JsonSerializer.Serialize(result, Json);

    private const string GetSql = $"SELECT {Columns} FROM scheduled_jobs WHERE id = @id";

    public async Task<JobExecution?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ExecutionRow>(new CommandDefinition(GetSql, new { id }, cancellationToken: cancellationToken));
        return row?.ToContract();
    }

    /// <summary>One page of executions matching <paramref name="filter"/>, newest first, and how many match in all.</summary>
    /// <summary>
    /// One page of executions, newest first, by page number or after <paramref name="after"/>, with the exact number
    /// matching. Filtered by type and status alone (or not at all), the total comes from the maintained counts
    /// (migration 009) instead of counting the history.
    /// </summary>
    public async Task<(IReadOnlyList<JobExecution> Page, long Total, PageCursor? Next)> ListAsync(
        ExecutionFilter filter, int page, int limit, PageCursor? after, CancellationToken cancellationToken)
    {
        var countable = filter is { StartedBy: null, From: null, To: null };
        var (rows, total, next) = await new PagedQuery("scheduled_jobs", Columns, "created_at", "id", PageCursorId.Uuid)
            .Where("job_type = @jobType", "jobType", filter.JobType)
            .Where("status = @status", "status", filter.Status)
            .Where("started_by = @startedBy", "startedBy", filter.StartedBy)
            .Where("created_at >= @from", "from", filter.From)
            .Where("created_at < @to", "to", filter.To)
            .CountWith(countable ? MaintainedTotalSql : null, ("jobType", filter.JobType), ("status", filter.Status))
            .RunAsync<ExecutionRow>(dataSource, page, limit, after, r => new PageCursor(r.CreatedAt, r.Id.ToString()), cancellationToken);
        return ([.. rows.Select(r => r.ToContract())], total, next);
    }

    /// <summary>The executions matching an optional type and status: folded counts plus the deltas not folded yet.</summary>
    private const string MaintainedTotalSql = """
        SELECT coalesce((SELECT sum(n) FROM scheduled_jobs_counts
                          WHERE (@jobType::text IS NULL OR job_type = @jobType) AND (@status::text IS NULL OR status = @status)), 0)
             + coalesce((SELECT sum(delta) FROM scheduled_jobs_count_deltas
                          WHERE (@jobType::text IS NULL OR job_type = @jobType) AND (@status::text IS NULL OR status = @status)), 0)
        """;

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
    public async Task FoldCountsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(FoldCountsSql, cancellationToken: cancellationToken));
    }

    private const string RunningSql = """
        SELECT job_type AS JobType, id AS Id, started_at AS StartedAt, runner_id AS RunnerId
          FROM scheduled_jobs WHERE status = 'running'
        """;

    /// <summary>Every execution running now, across the cluster.</summary>
    public async Task<IReadOnlyList<RunningRow>> RunningAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<RunningRow>(new CommandDefinition(RunningSql, cancellationToken: cancellationToken))];
    }

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
    public async Task<IReadOnlyList<DurationRow>> TypicalDurationsAsync(IReadOnlyList<string> types, DateTimeOffset since, int samples, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<DurationRow>(new CommandDefinition(
            TypicalDurationsSql, new { types = types.ToArray(), since, samples }, cancellationToken: cancellationToken))];
    }

    /// <summary>One <c>scheduled_jobs</c> row as <see cref="Columns"/> selects it; also read by the event store's joined reads.</summary>
    internal sealed class ExecutionRow
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
        public Guid? RootId { get; init; }
        public string? Parameters { get; init; }

        public string? Progress { get; init; }
        public string? Error { get; init; }
        public string? Result { get; init; }
        public DateTime? CancelRequestedAt { get; init; }
        public string? CancelledBy { get; init; }
        public DateTime? HeartbeatAt { get; init; }
        public string? FireInstanceId { get; init; }
        public string? IdempotencyKey { get; init; }
        public string? RequestHash { get; init; }
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
            RootId = RootId ?? Id,
            CancelRequestedAt = Utc(CancelRequestedAt),
            CancelledBy = CancelledBy,
            HeartbeatAt = Utc(HeartbeatAt),
            Parameters = Parameters is null ? null : JsonSerializer.Deserialize<JsonElement>(Parameters),
            Progress = Progress is null ? null : JsonSerializer.Deserialize<JsonElement>(Progress),
            Error = Error,
            Result = Result is null ? null : JsonSerializer.Deserialize<JobResult>(Result, Json),
            CreatedAt = Utc(CreatedAt),
            UpdatedAt = Utc(UpdatedAt),
        };

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

        private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
    }
}

/// <summary>A run to record as pending: a manual trigger, or an operator's retry of an earlier run.</summary>
public sealed record NewExecution(string JobType, string? StartedBy, System.Text.Json.JsonElement? Parameters)
{
    public string Trigger { get; init; } = ExecutionTrigger.Manual;

    public string? IdempotencyKey { get; init; }

    public string? RequestHash { get; init; }

    public Guid? RetryOf { get; init; }

    public Guid? RootId { get; init; }

    public int Attempt { get; init; } = 1;

    /// <summary>The occurrence a backfill run stands in for; null for other runs.</summary>
    public DateTimeOffset? ScheduledFor { get; init; }
}

/// <summary>What <see cref="ExecutionStore.CreatePendingAsync"/> did.</summary>
public abstract record PendingOutcome
{
    /// <summary>Recorded as pending.</summary>
    public sealed record Created(JobExecution Execution) : PendingOutcome;

    /// <summary>The idempotency key was used before: the execution it names, and whether the request matched.</summary>
    public sealed record Replayed(JobExecution Execution, bool SameRequest) : PendingOutcome;

    /// <summary>The type already has a pending or running execution.</summary>
    public sealed record Busy(Guid ActiveId) : PendingOutcome;
}

/// <summary>What <see cref="RunStore.ClaimOccurrenceAsync"/> did.</summary>
public abstract record OccurrenceOutcome
{
    /// <summary>This node runs the occurrence.</summary>
    public sealed record Claimed(ClaimedRun Run) : OccurrenceOutcome;

    /// <summary>Another node recorded it already.</summary>
    public sealed record AlreadyRecorded : OccurrenceOutcome;

    /// <summary>Recorded as skipped: the type was running.</summary>
    public sealed record Skipped(Guid? ActiveId, string Reason) : OccurrenceOutcome;
}

/// <summary>
/// An execution this node has moved to <c>running</c>; <paramref name="Trigger"/> says how it was started, <paramref name="Parameters"/>
/// what it was given (JSON), <paramref name="LeaseToken"/> the fencing token its claim took.
/// </summary>
public sealed record ClaimedRun(Guid Id, Guid? RootId, string Trigger, string? Parameters, long LeaseToken)
{
    public Guid Root => RootId ?? Id;
}

/// <summary>What became of a lost run's recovery.</summary>
public abstract record RecoveryOutcome
{
    /// <summary>The recovery run is recorded and this node runs it.</summary>
    public sealed record Started(ClaimedRun Run) : RecoveryOutcome;

    /// <summary>Nothing to recover: the run finished, its node still heartbeats, or it was recovered already.</summary>
    public sealed record NotNeeded : RecoveryOutcome;

    /// <summary>Not yet (<paramref name="Why"/>): another run of the type is active, or the lost run's heartbeat is still fresh; try again shortly.</summary>
    public sealed record Wait(string Why) : RecoveryOutcome;
}

/// <summary>The state of an execution after a cancel request.</summary>
public sealed record CancelRequest(string Status, string? FireInstanceId, string? RunnerId);

/// <summary>A running execution ended as "runner lost".</summary>
public sealed record LostExecution(Guid Id, string JobType, string? RunnerId);

/// <summary>A pending execution, for the stranded-pending sweep.</summary>
public sealed record PendingExecution(Guid Id, string JobType, DateTime CreatedAt);

/// <summary>An execution running now.</summary>
public sealed record RunningRow(string JobType, Guid Id, DateTime StartedAt, string? RunnerId);

/// <summary>A job type's typical duration in seconds.</summary>
public sealed record DurationRow(string JobType, double P50, double P95, int Samples);
