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

    private const string Columns = """
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

    private const string ClaimPendingSql = """
        UPDATE scheduled_jobs
           SET status = 'running', started_at = @now, runner_id = @runnerId, fire_instance_id = @fireInstanceId,
               heartbeat_at = @now, updated_at = @now
         WHERE id = @id AND status = 'pending'
        RETURNING id AS Id, root_id AS RootId, trigger AS Trigger, parameters::text AS Parameters
        """;

    /// <summary>Moves a pending run to <c>running</c> on this node. Null when it is no longer pending (cancelled, or claimed elsewhere).</summary>
    public async Task<ClaimedRun?> ClaimPendingAsync(Guid id, string runnerId, string fireInstanceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ClaimedRun>(new CommandDefinition(ClaimPendingSql, new { id, runnerId, fireInstanceId, now }, cancellationToken: cancellationToken));
    }

    private const string ClaimOccurrenceSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_at, started_by, runner_id,
                                    fire_instance_id, heartbeat_at, created_at, updated_at)
        VALUES (@jobType, 'running', 'cron', @scheduledFor, @now, 'scheduler', @runnerId, @fireInstanceId, @now, @now, @now)
        ON CONFLICT (job_type, scheduled_for) WHERE trigger = 'cron' DO NOTHING
        RETURNING id
        """;

    private const string SkipOccurrenceSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_by, runner_id, error, result,
                                    completed_at, created_at, updated_at)
        VALUES (@jobType, 'skipped', 'cron', @scheduledFor, 'scheduler', @runnerId, @error, @result::jsonb, @now, @now, @now)
        ON CONFLICT (job_type, scheduled_for) WHERE trigger = 'cron' DO NOTHING
        """;

    /// <summary>
    /// Records a cron occurrence as <c>running</c> on this node. <see cref="OccurrenceOutcome.AlreadyRecorded"/>
    /// when another node recorded it (it must not run again); <see cref="OccurrenceOutcome.Skipped"/> when the
    /// type was already running, in which case the occurrence is recorded as <c>skipped</c> with the reason.
    /// </summary>
    public async Task<OccurrenceOutcome> ClaimOccurrenceAsync(
        string jobType, DateTimeOffset scheduledFor, string runnerId, string fireInstanceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var id = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                ClaimOccurrenceSql, new { jobType, scheduledFor, runnerId, fireInstanceId, now }, cancellationToken: cancellationToken));
            return id is { } claimed ? new OccurrenceOutcome.Claimed(claimed) : new OccurrenceOutcome.AlreadyRecorded();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == ActiveIndex)
        {
            var active = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(ActiveOfTypeSql, new { jobType }, cancellationToken: cancellationToken));
            var error = $"skipped: execution {active} of {jobType} was still pending or running";
            await connection.ExecuteAsync(new CommandDefinition(SkipOccurrenceSql, new
            {
                jobType, scheduledFor, runnerId, error, now,
                result = Serialize(JobResults.Skipped(error, FailureKind.Overlap)),
            }, cancellationToken: cancellationToken));
            return new OccurrenceOutcome.Skipped(active, error);
        }
    }

    /// <summary>Records a cron occurrence that is deliberately not run (e.g. it fired later than its misfire grace).</summary>
    public async Task<bool> SkipOccurrenceAsync(
        string jobType, DateTimeOffset scheduledFor, string runnerId, string error, string failureKind, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(SkipOccurrenceSql, new
        {
            jobType, scheduledFor, runnerId, error, now,
            result = Serialize(JobResults.Skipped(error, failureKind)),
        }, cancellationToken: cancellationToken)) == 1;
    }

    private const string FindOccurrenceSql = "SELECT id FROM scheduled_jobs WHERE job_type = @jobType AND scheduled_for = @scheduledFor AND trigger = 'cron'";

    /// <summary>The execution recorded for a cron occurrence, if any.</summary>
    public async Task<Guid?> FindOccurrenceAsync(string jobType, DateTimeOffset scheduledFor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(FindOccurrenceSql, new { jobType, scheduledFor }, cancellationToken: cancellationToken));
    }

    private const string LoseRunnerSql = $"""
        UPDATE scheduled_jobs
           SET {RunnerLostSet}
         WHERE id = @id AND status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < @staleBefore)
        """;

    private const string StartRecoverySql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, started_by, runner_id, fire_instance_id,
                                    heartbeat_at, attempt, retry_of, root_id, parameters, created_at, updated_at)
        SELECT job_type, 'running', 'recovery', @now, started_by, @runnerId, @fireInstanceId,
               @now, attempt + 1, id, COALESCE(root_id, id), parameters, @now, @now
          FROM scheduled_jobs
         WHERE id = @orphanId
           AND status IN ('failed', 'cancelled')
           AND result->'details'->>'failure' IN ('runner_lost', 'shutdown')
        ON CONFLICT (retry_of) WHERE trigger = 'recovery' DO NOTHING
        RETURNING id AS Id, root_id AS RootId, trigger AS Trigger, parameters::text AS Parameters
        """;

    /// <summary>
    /// A recovered firing of a run whose node was lost or shut down. The lost row ends <c>failed</c>
    /// ("runner lost") if it is still running and its heartbeat is older than <paramref name="staleBefore"/>;
    /// then a <c>recovery</c> row linked to it starts here, at most once per lost run. Null when there is
    /// nothing to recover: the run finished, its node is still heartbeating, another node recovered it,
    /// or another run of the type is active.
    /// </summary>
    public async Task<RecoveryOutcome> StartRecoveryAsync(
        Guid orphanId, string runnerId, string fireInstanceId, DateTimeOffset staleBefore, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(LoseRunnerSql, new { id = orphanId, now, staleBefore }, cancellationToken: cancellationToken));
        try
        {
            if (await connection.QuerySingleOrDefaultAsync<ClaimedRun>(new CommandDefinition(
                StartRecoverySql, new { orphanId, runnerId, fireInstanceId, now }, cancellationToken: cancellationToken)) is { } started)
            {
                return new RecoveryOutcome.Started(started);
            }

            // Quartz saw the node's check-ins stop, but the run's own heartbeat is still fresh (a node slow to check in,
            // or one that died a moment ago): ask again once the heartbeat has had time to go stale, never run it twice.
            var status = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT status FROM scheduled_jobs WHERE id = @orphanId", new { orphanId }, cancellationToken: cancellationToken));
            return status == ExecutionStatus.Running ? new RecoveryOutcome.Wait("its heartbeat is still fresh") : new RecoveryOutcome.NotNeeded();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == ActiveIndex)
        {
            // Another run of the type is pending or running: the recovery waits its turn, it is not dropped.
            return new RecoveryOutcome.Wait("another run of the type is active");
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

    private const string InsertRunningSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, started_by, runner_id, fire_instance_id, heartbeat_at, created_at, updated_at)
        VALUES (@jobType, 'running', 'manual', @now, 'scheduler', @runnerId, @fireInstanceId, @now, @now, @now)
        ON CONFLICT DO NOTHING
        RETURNING id
        """;

    /// <summary>Records a firing that came with no execution of its own (a trigger created outside the API). Null when the type is already running.</summary>
    public async Task<Guid?> StartUnrecordedAsync(string jobType, string runnerId, string fireInstanceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            InsertRunningSql, new { jobType, runnerId, fireInstanceId, now }, cancellationToken: cancellationToken));
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

    private const string HeartbeatSql = """
        UPDATE scheduled_jobs SET heartbeat_at = @now WHERE id = ANY(@ids) AND status = 'running'
        """;

    /// <summary>Says this node is still running these executions.</summary>
    public async Task HeartbeatAsync(IReadOnlyCollection<Guid> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(HeartbeatSql, new { ids = ids.ToArray(), now }, cancellationToken: cancellationToken));
    }

    /// <summary>The columns a row whose node is gone ends with: failed, "runner lost", naming the node.</summary>
    private const string RunnerLostSet = """
        status = 'failed',
        error = 'runner lost: ' || COALESCE(runner_id, 'unknown node') || ' stopped before the run finished',
        result = jsonb_build_object('success', false, 'itemsProcessed', 0,
                   'errors', jsonb_build_array('runner lost: ' || COALESCE(runner_id, 'unknown node') || ' stopped before the run finished'),
                   'details', jsonb_build_object('failure', 'runner_lost', 'lastHeartbeat', heartbeat_at)),
        completed_at = @now, updated_at = @now
        """;

    private const string SweepOrphansSql = $"""
        UPDATE scheduled_jobs
           SET {RunnerLostSet}
         WHERE status = 'running'
           AND (heartbeat_at < @staleBefore OR (runner_id = ANY(@lostRunners) AND heartbeat_at < @lostStaleBefore))
        RETURNING id AS Id, job_type AS JobType, runner_id AS RunnerId
        """;

    /// <summary>
    /// Ends every running execution whose node is gone: its heartbeat is older than <paramref name="staleBefore"/>,
    /// or the cluster reports its node failed and its heartbeat has missed a beat (older than
    /// <paramref name="lostStaleBefore"/>), so a node the cluster wrongly suspects keeps its runs. They end
    /// <c>failed</c>, "runner lost".
    /// </summary>
    public async Task<IReadOnlyList<LostExecution>> SweepOrphansAsync(
        DateTimeOffset staleBefore, IReadOnlyCollection<string> lostRunners, DateTimeOffset lostStaleBefore, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var lost = await connection.QueryAsync<LostExecution>(new CommandDefinition(
            SweepOrphansSql, new { staleBefore, lostRunners = lostRunners.ToArray(), lostStaleBefore, now }, cancellationToken: cancellationToken));
        return [.. lost];
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

    private const string FinishSql = """
        UPDATE scheduled_jobs
           SET status = @status, error = @error, result = @result::jsonb, completed_at = @now, updated_at = @now
         WHERE id = @id AND status IN ('pending', 'running')
        """;

    /// <summary>
    /// A success and its job type's <c>job_heartbeats</c> row (last success set, failures cleared) in one statement,
    /// so recording a completed run costs one commit, not two.
    /// </summary>
    private const string CompleteSql = """
        WITH done AS (
          UPDATE scheduled_jobs
             SET status = 'completed', error = NULL, result = @result::jsonb, completed_at = @now, updated_at = @now
           WHERE id = @id AND status IN ('pending', 'running')
          RETURNING job_type)
        INSERT INTO job_heartbeats (name, runner_id, last_heartbeat, last_success_at, consecutive_failures)
        SELECT job_type, @succeededOn, @now, @now, 0 FROM done
        ON CONFLICT (name) WHERE name <> 'jobs-runner' DO UPDATE
           SET runner_id = EXCLUDED.runner_id, last_heartbeat = EXCLUDED.last_heartbeat,
               last_success_at = EXCLUDED.last_success_at, consecutive_failures = 0,
               last_error = NULL, last_error_at = NULL
        """;

    /// <summary>
    /// Writes how an execution ended. Only a pending or running row changes: a finished row is never rewritten.
    /// With <paramref name="succeededOn"/> (a completed run), the type's heartbeat row records the success in the same statement.
    /// </summary>
    public async Task<bool> FinishAsync(
        Guid id, string status, string? error, JobResult? result, DateTimeOffset now, CancellationToken cancellationToken, string? succeededOn = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(succeededOn is null ? FinishSql : CompleteSql, new
        {
            id,
            status,
            error,
            result = result is null ? null : Serialize(result),
            now,
            succeededOn,
        }, cancellationToken: cancellationToken));
        return changed == 1;
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
        var (rows, total, next) = await new PagedQuery("scheduled_jobs", Columns, "created_at", "id", "uuid")
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

/// <summary>What <see cref="ExecutionStore.ClaimOccurrenceAsync"/> did.</summary>
public abstract record OccurrenceOutcome
{
    /// <summary>This node runs the occurrence.</summary>
    public sealed record Claimed(Guid Id) : OccurrenceOutcome;

    /// <summary>Another node recorded it already.</summary>
    public sealed record AlreadyRecorded : OccurrenceOutcome;

    /// <summary>Recorded as skipped: the type was running.</summary>
    public sealed record Skipped(Guid? ActiveId, string Reason) : OccurrenceOutcome;
}

/// <summary>An execution this node now runs, and the first attempt of its run (for idempotency keys).</summary>
/// <summary>An execution this node has moved to <c>running</c>; <paramref name="Trigger"/> says how it was started, <paramref name="Parameters"/> what it was given (JSON).</summary>
public sealed record ClaimedRun(Guid Id, Guid? RootId, string Trigger, string? Parameters)
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
