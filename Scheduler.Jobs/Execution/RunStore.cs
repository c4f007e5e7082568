using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Notifications;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// The writes that decide who runs a run and how it ended: claims (each takes a new fencing token and a lease),
/// lease renewals, fenced outcomes and the sweeps of runs whose lease expired. On the background pool, so API
/// traffic never delays them. Lease times are the database's clock, one clock for every node.
/// </summary>
public sealed class RunStore([FromKeyedServices(SchedulerDataSources.Background)] NpgsqlDataSource dataSource)
{
    /// <summary>What a claim returns (as <see cref="ClaimedRow"/>): the run, and the fencing token the claim took.</summary>
    private const string ClaimedColumns = "id AS Id, root_id AS RootId, trigger AS Trigger, parameters::text AS Parameters, lease_token AS LeaseToken";

    private const string ClaimPendingSql = $"""
        UPDATE scheduled_jobs
           SET status = 'running', started_at = @now, runner_id = @runnerId, fire_instance_id = @fireInstanceId,
               heartbeat_at = @now, updated_at = @now,
               lease_token = nextval('scheduled_jobs_lease_seq'), lease_expires_at = clock_timestamp() + @lease
         WHERE id = @id AND status = 'pending'
        RETURNING {ClaimedColumns}
        """;

    /// <summary>Moves a pending run to <c>running</c> on this node. Null when it is no longer pending (cancelled, or claimed elsewhere).</summary>
    public async Task<ClaimedRun?> ClaimPendingAsync(Guid id, string runnerId, string fireInstanceId, TimeSpan lease, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await dataSource.QuerySingleOrDefaultAsync<ClaimedRow>(ClaimPendingSql, new { id, runnerId, fireInstanceId, lease, now }, cancellationToken))?.ToRun();

    private const string DueSql = """
        UPDATE scheduled_jobs SET status = 'pending', updated_at = @now
         WHERE id = @id AND status = 'scheduled'
        RETURNING job_type
        """;

    private const string SkipDueSql = """
        UPDATE scheduled_jobs
           SET status = 'skipped', error = @error, result = @result::jsonb, runner_id = @runnerId, completed_at = @now, updated_at = @now
         WHERE id = @id AND status = 'scheduled'
        RETURNING trigger
        """;

    /// <summary>
    /// A scheduled run has come due: <c>scheduled</c> becomes <c>pending</c>, taking its type's one active slot, for
    /// <see cref="ClaimPendingAsync"/> to claim. When another run of the type holds the slot, the run is recorded
    /// <c>skipped</c> naming it, as a cron occurrence is. <see cref="DueOutcome.NotScheduled"/> when it is no longer
    /// scheduled (cancelled, or due already).
    /// </summary>
    public Task<DueOutcome> MakeDueAsync(Guid id, string runnerId, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync<DueOutcome>(async connection =>
        {
            try
            {
                return await connection.QuerySingleOrDefaultAsync<string>(DueSql, new { id, now }, cancellationToken) is not null
                    ? new DueOutcome.Due()
                    : new DueOutcome.NotScheduled();
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == ExecutionStore.ActiveIndex)
            {
                var jobType = await connection.QuerySingleAsync<string>(JobTypeSql, new { id }, cancellationToken);
                var active = await connection.QuerySingleOrDefaultAsync<Guid?>(ExecutionStore.ActiveOfTypeSql, new { jobType }, cancellationToken);
                var error = $"skipped: execution {active} of {jobType} was still pending or running when this run came due";
                var trigger = await connection.QuerySingleOrDefaultAsync<string>(SkipDueSql, new
                {
                    id, runnerId, error, now,
                    result = ResultJson.Serialize(JobResults.Skipped(error, FailureKind.Overlap)),
                }, cancellationToken);
                return trigger is null ? new DueOutcome.NotScheduled() : new DueOutcome.Skipped(EnumText.Parse<ExecutionTrigger>(trigger), active, error);
            }
        }, cancellationToken);

    private const string JobTypeSql = "SELECT job_type FROM scheduled_jobs WHERE id = @id";

    /// <summary>
    /// The configured schedule's occurrences are <c>cron</c> runs claimed against 002's <c>(job_type, scheduled_for)</c>
    /// index, the target every release names, so nodes of the previous release and of this one record each occurrence
    /// once between them while a rolling deploy has both. A named schedule's are <c>schedule</c> runs, one per
    /// (type, schedule, fire time).
    /// </summary>
    private const string DefaultConflict = "ON CONFLICT (job_type, scheduled_for) WHERE trigger = 'cron'";

    private const string NamedConflict = "ON CONFLICT (job_type, schedule, scheduled_for) WHERE trigger = 'schedule'";

    private const string ClaimOccurrenceInsert = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, schedule, parameters, jitter_ms, started_at, started_by, runner_id,
                                    fire_instance_id, heartbeat_at, created_at, updated_at, lease_token, lease_expires_at)
        VALUES (@jobType, 'running', @trigger, @scheduledFor, @schedule, @parameters::jsonb, @jitterMs, @now, 'scheduler', @runnerId, @fireInstanceId,
                @now, @now, @now, nextval('scheduled_jobs_lease_seq'), clock_timestamp() + @lease)
        """;

    private const string ClaimDefaultOccurrenceSql = $"""
        {ClaimOccurrenceInsert}
        {DefaultConflict} DO NOTHING
        RETURNING {ClaimedColumns}
        """;

    private const string ClaimNamedOccurrenceSql = $"""
        {ClaimOccurrenceInsert}
        {NamedConflict} DO NOTHING
        RETURNING {ClaimedColumns}
        """;

    private const string SkipOccurrenceInsert = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, schedule, parameters, jitter_ms, started_by, runner_id, error, result,
                                    completed_at, created_at, updated_at)
        VALUES (@jobType, 'skipped', @trigger, @scheduledFor, @schedule, @parameters::jsonb, @jitterMs, 'scheduler', @runnerId, @error, @result::jsonb,
                @now, @now, @now)
        """;

    private const string SkipDefaultOccurrenceSql = $"""
        {SkipOccurrenceInsert}
        {DefaultConflict} DO NOTHING
        """;

    private const string SkipNamedOccurrenceSql = $"""
        {SkipOccurrenceInsert}
        {NamedConflict} DO NOTHING
        """;

    private const string ActiveRunSql = "SELECT id AS Id, schedule AS Schedule FROM scheduled_jobs WHERE job_type = @jobType AND status IN ('pending', 'running') LIMIT 1";

    /// <summary>
    /// Records an occurrence of <paramref name="occurrence"/>'s schedule as <c>running</c> on this node.
    /// <see cref="OccurrenceOutcome.AlreadyRecorded"/> when another node recorded it (it must not run again). When the
    /// type is already running: <see cref="OccurrenceOutcome.Skipped"/>, the occurrence recorded as <c>skipped</c> with a
    /// reason naming the active run and its schedule; or, with <paramref name="deferWhenBusy"/>,
    /// <see cref="OccurrenceOutcome.Busy"/> with nothing written.
    /// </summary>
    public Task<OccurrenceOutcome> ClaimOccurrenceAsync(
        ScheduledOccurrence occurrence, string runnerId, string fireInstanceId, TimeSpan lease, DateTimeOffset now, CancellationToken cancellationToken,
        bool deferWhenBusy = false) =>
        dataSource.UseConnectionAsync<OccurrenceOutcome>(async connection =>
        {
            var (jobType, schedule, scheduledFor, parameters, jitterMs) = occurrence;
            var trigger = occurrence.Trigger.ToText();
            try
            {
                var claimed = await connection.QuerySingleOrDefaultAsync<ClaimedRow>(
                    occurrence.OfDefault ? ClaimDefaultOccurrenceSql : ClaimNamedOccurrenceSql,
                    new { jobType, trigger, scheduledFor, schedule, parameters, jitterMs, runnerId, fireInstanceId, lease, now }, cancellationToken);
                return claimed is not null ? new OccurrenceOutcome.Claimed(claimed.ToRun()) : new OccurrenceOutcome.AlreadyRecorded();
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == ExecutionStore.ActiveIndex)
            {
                var active = await connection.QuerySingleOrDefaultAsync<ActiveRun>(ActiveRunSql, new { jobType }, cancellationToken);
                if (deferWhenBusy)
                {
                    return new OccurrenceOutcome.Busy(active?.Id);
                }

                // Another schedule's run is named by its schedule too; a schedule overlapping itself needs no more than the run.
                var of = active?.Schedule is { } other && other != schedule ? $" (schedule '{other}')" : "";
                var error = $"skipped: execution {active?.Id} of {jobType}{of} was still pending or running";
                await connection.ExecuteAsync(SkipOccurrenceSql(occurrence), SkipArgs(occurrence, runnerId, error, FailureKind.Overlap, now), cancellationToken);
                return new OccurrenceOutcome.Skipped(active?.Id, error);
            }
        }, cancellationToken);

    private sealed record ActiveRun(Guid Id, string? Schedule);

    /// <summary>Records an occurrence that is deliberately not run (it fired later than its misfire grace, or beyond its catch-up limit).</summary>
    public async Task<bool> SkipOccurrenceAsync(
        ScheduledOccurrence occurrence, string runnerId, string error, FailureKind failureKind, DateTimeOffset now, CancellationToken cancellationToken) =>
        await dataSource.ExecuteAsync(SkipOccurrenceSql(occurrence), SkipArgs(occurrence, runnerId, error, failureKind, now), cancellationToken) == 1;

    private static string SkipOccurrenceSql(ScheduledOccurrence occurrence) => occurrence.OfDefault ? SkipDefaultOccurrenceSql : SkipNamedOccurrenceSql;

    private static object SkipArgs(ScheduledOccurrence occurrence, string runnerId, string error, FailureKind failureKind, DateTimeOffset now) => new
    {
        jobType = occurrence.JobType,
        trigger = occurrence.Trigger.ToText(),
        scheduledFor = occurrence.ScheduledFor,
        schedule = occurrence.Schedule,
        parameters = occurrence.Parameters,
        jitterMs = occurrence.JitterMs,
        runnerId, error, now,
        result = ResultJson.Serialize(JobResults.Skipped(error, failureKind)),
    };

    // The configured schedule's rows written by the previous release have no schedule: any 'cron' row is the default's.
    private const string FindDefaultOccurrenceSql = """
        SELECT id FROM scheduled_jobs
         WHERE job_type = @jobType AND scheduled_for = @scheduledFor AND trigger = 'cron'
        """;

    private const string FindNamedOccurrenceSql = """
        SELECT id FROM scheduled_jobs
         WHERE job_type = @jobType AND schedule = @schedule AND scheduled_for = @scheduledFor AND trigger = 'schedule'
        """;

    /// <summary>The execution recorded for an occurrence of a schedule, if any.</summary>
    public Task<Guid?> FindOccurrenceAsync(string jobType, string schedule, DateTimeOffset scheduledFor, CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<Guid?>(
            schedule == NamedSchedule.DefaultName ? FindDefaultOccurrenceSql : FindNamedOccurrenceSql, new { jobType, schedule, scheduledFor }, cancellationToken);

    /// <summary>
    /// Whether a running row's lease has expired: its end has passed by the database's clock. A row claimed before
    /// leases existed has none and is judged by its last renewal, <c>heartbeat_at</c> (or, with none, by its last update).
    /// </summary>
    private const string LeaseExpired = """
        (CASE WHEN lease_expires_at IS NOT NULL THEN lease_expires_at < clock_timestamp()
              ELSE COALESCE(heartbeat_at, updated_at) < clock_timestamp() - @lease END)
        """;

    /// <summary>
    /// The columns a row whose lease expired ends with: failed, "runner lost", naming the node. Ending it is a claim of
    /// its own: a new token, so the old owner, should it come back, has every write refused (log lines included).
    /// </summary>
    private const string RunnerLostSet = """
        status = 'failed',
        error = 'runner lost: ' || COALESCE(runner_id, 'unknown node') || ' stopped renewing its lease before the run finished',
        result = jsonb_build_object('success', false, 'itemsProcessed', 0,
                   'errors', jsonb_build_array('runner lost: ' || COALESCE(runner_id, 'unknown node') || ' stopped renewing its lease before the run finished'),
                   'details', jsonb_build_object('failure', 'runner_lost', 'lastHeartbeat', heartbeat_at,
                                                 'leaseExpiredAt', lease_expires_at, 'leaseToken', lease_token)),
        completed_at = @now, updated_at = @now,
        lease_token = nextval('scheduled_jobs_lease_seq'), lease_expires_at = NULL
        """;

    private const string LoseRunnerSql = $"""
        WITH done AS (
          UPDATE scheduled_jobs
             SET {RunnerLostSet}
           WHERE id = @id AND status = 'running' AND {LeaseExpired}
          RETURNING id, job_type, status, created_at),
        notified AS ({DeliveryStore.EnqueueSql})
        SELECT count(*) FROM done
        """;

    private const string StartRecoverySql = $"""
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, started_by, runner_id, fire_instance_id,
                                    heartbeat_at, attempt, retry_of, root_id, parameters, created_at, updated_at,
                                    lease_token, lease_expires_at)
        SELECT job_type, 'running', 'recovery', @now, started_by, @runnerId, @fireInstanceId,
               @now, attempt + 1, id, COALESCE(root_id, id), parameters, @now, @now,
               nextval('scheduled_jobs_lease_seq'), clock_timestamp() + @lease
          FROM scheduled_jobs
         WHERE id = @orphanId
           AND status IN ('failed', 'cancelled')
           AND result->'details'->>'failure' IN ('runner_lost', 'shutdown')
        ON CONFLICT (retry_of) WHERE trigger = 'recovery' DO NOTHING
        RETURNING {ClaimedColumns}
        """;

    /// <summary>
    /// A recovered firing of a run whose node was lost or shut down. With <paramref name="mayTakeOver"/>, the lost row
    /// ends <c>failed</c> ("runner lost") if it is still running and its lease has expired; then a <c>recovery</c> row
    /// linked to it starts here, at most once per lost run, under a new lease. <see cref="RecoveryOutcome.Wait"/> while
    /// the owner's lease holds (a node slow but alive keeps its run) or another run of the type is active.
    /// </summary>
    public Task<RecoveryOutcome> StartRecoveryAsync(
        Guid orphanId, string runnerId, string fireInstanceId, TimeSpan lease, bool mayTakeOver, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync<RecoveryOutcome>(async connection =>
        {
            if (mayTakeOver)
            {
                await connection.ExecuteAsync(LoseRunnerSql, new { id = orphanId, lease, now }, cancellationToken);
            }

            try
            {
                if (await connection.QuerySingleOrDefaultAsync<ClaimedRow>(
                    StartRecoverySql, new { orphanId, runnerId, fireInstanceId, lease, now }, cancellationToken) is { } started)
                {
                    return new RecoveryOutcome.Started(started.ToRun());
                }

                var status = await connection.QuerySingleOrDefaultAsync<string?>(StatusSql, new { orphanId }, cancellationToken);
                return status == ExecutionStatus.Running.ToText() ? new RecoveryOutcome.Wait("its node still holds its lease") : new RecoveryOutcome.NotNeeded();
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == ExecutionStore.ActiveIndex)
            {
                // Another run of the type is pending or running: the recovery waits its turn, it is not dropped.
                return new RecoveryOutcome.Wait("another run of the type is active");
            }
        }, cancellationToken);

    private const string StatusSql = "SELECT status FROM scheduled_jobs WHERE id = @orphanId";

    private const string InsertRunningSql = $"""
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, started_by, runner_id, fire_instance_id, heartbeat_at,
                                    created_at, updated_at, lease_token, lease_expires_at)
        VALUES (@jobType, 'running', 'manual', @now, 'scheduler', @runnerId, @fireInstanceId, @now, @now, @now,
                nextval('scheduled_jobs_lease_seq'), clock_timestamp() + @lease)
        ON CONFLICT DO NOTHING
        RETURNING {ClaimedColumns}
        """;

    /// <summary>Records a firing that came with no execution of its own (a trigger created outside the API). Null when the type is already running.</summary>
    public async Task<ClaimedRun?> StartUnrecordedAsync(string jobType, string runnerId, string fireInstanceId, TimeSpan lease, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await dataSource.QuerySingleOrDefaultAsync<ClaimedRow>(InsertRunningSql, new { jobType, runnerId, fireInstanceId, lease, now }, cancellationToken))?.ToRun();

    private const string RenewSql = """
        UPDATE scheduled_jobs s
           SET heartbeat_at = @now, lease_expires_at = clock_timestamp() + @lease
          FROM unnest(@ids, @tokens) AS held(id, token)
         WHERE s.id = held.id AND s.lease_token = held.token AND s.status = 'running'
        RETURNING s.id
        """;

    /// <summary>
    /// Renews this node's leases in one statement: each only while the row still carries its token and runs.
    /// Returns the ids renewed; a lease missing from them was lost (another node's claim replaced it, or the run was
    /// ended without this node).
    /// </summary>
    public async Task<IReadOnlySet<Guid>> RenewAsync(IReadOnlyCollection<RunLease> leases, TimeSpan lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (leases.Count == 0)
        {
            return new HashSet<Guid>();
        }

        var renewed = await dataSource.QueryAsync<Guid>(RenewSql, new
        {
            ids = leases.Select(l => l.ExecutionId).ToArray(),
            tokens = leases.Select(l => l.Token).ToArray(),
            lease,
            now,
        }, cancellationToken);
        return renewed.ToHashSet();
    }

    /// <summary>What an outcome statement answers: whether it wrote the row, and how many notifications it queued.</summary>
    private const string FinishAnswer = """
        SELECT (SELECT count(*) FROM done)::int AS Written, (SELECT count(*) FROM notified)::int AS Queued
        """;

    private const string FinishSql = $"""
        WITH logged AS ({ExecutionLogStore.AppendSql}),
        done AS (
          UPDATE scheduled_jobs
             SET status = @status, error = @error, result = @result::jsonb, completed_at = @now, updated_at = @now,
                 lease_expires_at = NULL
           WHERE id = @id AND status = 'running' AND lease_token = @token
          RETURNING id, job_type, status, created_at),
        notified AS ({DeliveryStore.EnqueueSql})
        {FinishAnswer}
        """;

    /// <summary>
    /// A success and its job type's <c>job_heartbeats</c> row (last success set, failures cleared) in one statement,
    /// so recording a completed run costs one commit, not two.
    /// </summary>
    private const string CompleteSql = $"""
        WITH logged AS ({ExecutionLogStore.AppendSql}),
        done AS (
          UPDATE scheduled_jobs
             SET status = 'completed', error = NULL, result = @result::jsonb, completed_at = @now, updated_at = @now,
                 lease_expires_at = NULL
           WHERE id = @id AND status = 'running' AND lease_token = @token
          RETURNING id, job_type, status, created_at),
        beat AS (
          INSERT INTO job_heartbeats (name, runner_id, last_heartbeat, last_success_at, consecutive_failures)
          SELECT job_type, @succeededOn, @now, @now, 0 FROM done
          ON CONFLICT (name) WHERE name <> 'jobs-runner' DO UPDATE
             SET runner_id = EXCLUDED.runner_id, last_heartbeat = EXCLUDED.last_heartbeat,
                 last_success_at = EXCLUDED.last_success_at, consecutive_failures = 0,
                 last_error = NULL, last_error_at = NULL),
        notified AS ({DeliveryStore.EnqueueSql})
        {FinishAnswer}
        """;

    /// <summary>
    /// Writes how a run ended, fenced by its lease token: only the claim that holds the row changes it, and a finished
    /// row is never rewritten. The run's last <paramref name="logLines"/> go in the same statement (one commit for
    /// both), under the same fence, and so do the notifications its type's subscriptions owe for it (the outbox
    /// <see cref="DeliveryStore"/> sends from). With <paramref name="succeededOn"/> (a completed run), the type's
    /// <c>job_heartbeats</c> row records the success in that statement too. Not written when the token no longer holds the row.
    /// </summary>
    public async Task<FinishWrite> FinishAsync(
        Guid id, long token, ExecutionStatus status, string? error, JobResult result, IReadOnlyList<ExecutionLogLine> logLines, DateTimeOffset now,
        CancellationToken cancellationToken, string? succeededOn = null)
    {
        var log = LogColumns.Of(logLines);
        var answer = await dataSource.QuerySingleOrDefaultAsync<FinishAnswerRow>(succeededOn is null ? FinishSql : CompleteSql, new
        {
            id, token, error, now, succeededOn,
            status = status.ToText(),
            result = ResultJson.Serialize(result),
            seqs = log.Seqs, ats = log.Ats, levels = log.Levels, messages = log.Messages,
        }, cancellationToken);
        return new FinishWrite(answer is { Written: >= 1 }, answer?.Queued ?? 0);
    }

    private sealed record FinishAnswerRow(int Written, int Queued);

    private const string SweepSql = $"""
        WITH done AS (
          UPDATE scheduled_jobs
             SET {RunnerLostSet}
           WHERE status = 'running' AND {LeaseExpired}
          RETURNING id, job_type, status, created_at, runner_id),
        notified AS ({DeliveryStore.EnqueueSql})
        SELECT id AS Id, job_type AS JobType, runner_id AS RunnerId FROM done
        """;

    /// <summary>
    /// Ends every running execution whose lease has expired: its node stopped renewing it for a whole lease (it died,
    /// or stalled or lost the database for that long). They end <c>failed</c>, "runner lost", and are re-run by recovery;
    /// their failure notifications are queued in the same statement (sent at the dispatchers' next read of the outbox).
    /// </summary>
    public Task<IReadOnlyList<LostExecution>> SweepExpiredAsync(TimeSpan lease, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<LostExecution>(SweepSql, new { lease, now }, cancellationToken);

    /// <summary>A claimed row as <see cref="ClaimedColumns"/> selects it, the trigger as its text.</summary>
    private sealed record ClaimedRow(Guid Id, Guid? RootId, string Trigger, string? Parameters, long LeaseToken)
    {
        public ClaimedRun ToRun() => new(Id, RootId, EnumText.Parse<ExecutionTrigger>(Trigger), Parameters, LeaseToken);
    }
}

/// <summary>What an outcome write did: whether it wrote the row, and how many notification deliveries it queued with it.</summary>
public readonly record struct FinishWrite(bool Written, int NotificationsQueued);
