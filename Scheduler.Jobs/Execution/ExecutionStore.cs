using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// The writes of a run before a node owns it: recording it as pending, cancelling it, failing it when it never
/// started. What its owner writes once it runs is <see cref="RunStore"/>'s.
/// </summary>
public sealed class ExecutionStore(NpgsqlDataSource dataSource)
{
    internal const string ActiveIndex = "ux_scheduled_jobs_one_active_per_type";

    // ON CONFLICT without a target: a run refused by the one-active-run index or the idempotency key inserts nothing
    // (rather than failing, which would end the transaction it is part of), and the reason is read after.
    private const string InsertPendingSql = $"""
        INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, parameters, idempotency_key, request_hash,
                                    retry_of, root_id, attempt, scheduled_for, created_at, updated_at)
        VALUES (@JobType, @Status, @Trigger, @StartedBy, @Parameters::jsonb, @IdempotencyKey, @RequestHash,
                @RetryOf, @RootId, @Attempt, @ScheduledFor, @Now, @Now)
        ON CONFLICT DO NOTHING
        RETURNING {ExecutionRow.Columns}
        """;

    internal const string ActiveOfTypeSql = "SELECT id FROM scheduled_jobs WHERE job_type = @jobType AND status IN ('pending', 'running')";

    private const string ByIdempotencyKeySql = $"SELECT {ExecutionRow.Columns} FROM scheduled_jobs WHERE idempotency_key = @key";

    /// <summary>
    /// Records a run as <c>pending</c> (or, with <see cref="NewExecution.RunAt"/>, <c>scheduled</c> for then) before
    /// Quartz is asked to run it, in the caller's transaction. At most one execution per job type is pending or
    /// running across the cluster (a scheduled one does not count until it is due), and an idempotency key names one
    /// execution: the database decides both, so concurrent requests on different nodes agree.
    /// </summary>
    public static async Task<PendingOutcome> CreatePendingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, NewExecution execution, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var args = new
        {
            execution.JobType,
            Status = (execution.RunAt is null ? ExecutionStatus.Pending : ExecutionStatus.Scheduled).ToText(),
            Trigger = execution.Trigger.ToText(),
            execution.StartedBy,
            Parameters = execution.Parameters?.GetRawText(),
            execution.IdempotencyKey,
            execution.RequestHash,
            execution.RetryOf,
            execution.RootId,
            execution.Attempt,
            ScheduledFor = execution.RunAt ?? execution.ScheduledFor,
            Now = now,
        };

        // Refused because of a run that finishes meanwhile: each statement sees the latest commits, so a few rounds settle any race.
        for (var round = 0; round < 3; round++)
        {
            if (await connection.QuerySingleOrDefaultAsync<ExecutionRow>(InsertPendingSql, args, cancellationToken, transaction) is { } row)
            {
                return new PendingOutcome.Created(row.ToContract());
            }

            if (execution.IdempotencyKey is { } key
                && await connection.QuerySingleOrDefaultAsync<ExecutionRow>(ByIdempotencyKeySql, new { key }, cancellationToken, transaction) is { } earlier)
            {
                return new PendingOutcome.Replayed(earlier.ToContract(), earlier.RequestHash == execution.RequestHash);
            }

            if (await connection.QuerySingleOrDefaultAsync<Guid?>(ActiveOfTypeSql, new { jobType = execution.JobType }, cancellationToken, transaction) is { } activeId)
            {
                return new PendingOutcome.Busy(activeId);
            }

            if (execution.ScheduledFor is not null)
            {
                // A backfill occurrence is recorded once: another node recorded this one a moment ago.
                return new PendingOutcome.OccurrenceRecorded();
            }
        }

        throw new InvalidOperationException($"A run of {execution.JobType} was refused by a uniqueness rule that names no active run or key");
    }

    // The row is locked first so that what it was (scheduled: its trigger waits to be unscheduled) is read with the change.
    private const string RequestCancelSql = """
        WITH before AS (SELECT id, status FROM scheduled_jobs WHERE id = @id AND status = ANY(@statuses) FOR UPDATE)
        UPDATE scheduled_jobs s
           SET status = CASE WHEN s.status IN ('scheduled', 'pending') THEN 'cancelled' ELSE s.status END,
               completed_at = CASE WHEN s.status IN ('scheduled', 'pending') THEN @now ELSE s.completed_at END,
               error = CASE WHEN s.status IN ('scheduled', 'pending') THEN 'cancelled by ' || @by || ' before it ran' ELSE s.error END,
               result = CASE WHEN s.status IN ('scheduled', 'pending') THEN @result::jsonb ELSE s.result END,
               cancel_requested_at = COALESCE(s.cancel_requested_at, @now),
               cancelled_by = COALESCE(s.cancelled_by, @by),
               updated_at = @now
          FROM before
         WHERE s.id = before.id
        RETURNING s.status AS Status, before.status AS Was, s.job_type AS JobType, s.fire_instance_id AS FireInstanceId, s.runner_id AS RunnerId
        """;

    /// <summary>
    /// Asks to cancel an execution, in the caller's transaction. A scheduled or pending one is cancelled here and
    /// never runs; a running one is marked, and the caller interrupts its firing. Null when the execution is not
    /// scheduled, pending or running (with <paramref name="waitingOnly"/>: scheduled or pending; a run that has started is
    /// left alone).
    /// </summary>
    public static async Task<CancelRequest?> RequestCancelAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string by, DateTimeOffset now, bool waitingOnly, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<CancelRow>(RequestCancelSql, new
        {
            id, by, now,
            statuses = waitingOnly ? WaitingStatuses : CancellableStatuses,
            result = ResultJson.Serialize(JobResults.Failed($"cancelled by {by} before it ran", FailureKind.Cancelled)),
        }, cancellationToken, transaction);
        return row is null
            ? null
            : new CancelRequest(EnumText.Parse<ExecutionStatus>(row.Status), row.FireInstanceId, row.RunnerId)
            {
                Was = EnumText.Parse<ExecutionStatus>(row.Was),
                JobType = row.JobType,
            };
    }

    private static readonly string[] WaitingStatuses = [ExecutionStatus.Scheduled.ToText(), ExecutionStatus.Pending.ToText()];

    private static readonly string[] CancellableStatuses = [.. WaitingStatuses, ExecutionStatus.Running.ToText()];

    private sealed record CancelRow(string Status, string Was, string JobType, string? FireInstanceId, string? RunnerId);

    private const string FailPendingSql = """
        UPDATE scheduled_jobs
           SET status = 'failed', error = @error, result = @result::jsonb, completed_at = @now, updated_at = @now
         WHERE id = @id AND status IN ('scheduled', 'pending')
        """;

    /// <summary>
    /// Ends a run that never started (its hand-over to Quartz failed, or it was stranded) as <c>failed</c>. Only a
    /// pending (or scheduled, past due) row changes: a running one is its owner's to finish (<see cref="RunStore.FinishAsync"/>).
    /// </summary>
    public async Task<bool> FailPendingAsync(Guid id, string error, JobResult result, DateTimeOffset now, CancellationToken cancellationToken) =>
        await dataSource.ExecuteAsync(FailPendingSql, new { id, error, now, result = ResultJson.Serialize(result) }, cancellationToken) == 1;
}

/// <summary>A run to record as pending: a manual trigger, or an operator's retry of an earlier run.</summary>
public sealed record NewExecution(string JobType, string? StartedBy, System.Text.Json.JsonElement? Parameters)
{
    public ExecutionTrigger Trigger { get; init; } = ExecutionTrigger.Manual;

    public string? IdempotencyKey { get; init; }

    public string? RequestHash { get; init; }

    public Guid? RetryOf { get; init; }

    public Guid? RootId { get; init; }

    public int Attempt { get; init; } = 1;

    /// <summary>The occurrence a backfill run stands in for; null for other runs.</summary>
    public DateTimeOffset? ScheduledFor { get; init; }

    /// <summary>When a run asked for later is due: it is recorded <c>scheduled</c> (with this as <c>scheduled_for</c>) and its trigger fires then.</summary>
    public DateTimeOffset? RunAt { get; init; }
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

    /// <summary>The backfill occurrence this run stands for is recorded already.</summary>
    public sealed record OccurrenceRecorded : PendingOutcome;

    /// <summary>A lost run of the type waits for its re-run, which goes first; nothing was recorded.</summary>
    public sealed record WaitingRecovery(Guid LostId) : PendingOutcome;
}

/// <summary>The state of an execution after a cancel request (<see cref="Was"/>: before it).</summary>
public sealed record CancelRequest(ExecutionStatus Status, string? FireInstanceId, string? RunnerId)
{
    public ExecutionStatus Was { get; init; } = Status;

    public string JobType { get; init; } = "";
}
