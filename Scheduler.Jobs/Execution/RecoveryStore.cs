using Npgsql;
using Scheduler.Contracts;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// What the supervisor looks for in <c>scheduled_jobs</c>: lost runs whose re-run waits, re-runs to give up, and
/// pending (or past-due scheduled) runs stranded before a node picked them up. Re-running and ending runs is <see cref="RunStore"/>'s.
/// </summary>
public sealed class RecoveryStore(NpgsqlDataSource dataSource)
{
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
    public static Task<Guid?> WaitingRecoveryAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string jobType, DateTimeOffset since, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Guid?>(WaitingRecoverySql, new { jobType, since }, cancellationToken, transaction);

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
    public Task<IReadOnlyList<LostExecution>> AbandonRecoveriesAsync(DateTimeOffset waitedSince, string error, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<LostExecution>(AbandonRecoveriesSql, new
        {
            waitedSince, error, now,
            horizon = waitedSince - TimeSpan.FromDays(1),
            result = ResultJson.Serialize(JobResults.Failed(error, FailureKind.RecoveryAbandoned)),
        }, cancellationToken);

    // A run for later counts from when it was due (its scheduled_for, after created_at), pending or still scheduled.
    private const string StrandedSql = """
        SELECT id AS Id, job_type AS JobType, GREATEST(created_at, scheduled_for) AS CreatedAt
          FROM scheduled_jobs
         WHERE (status = 'pending' AND GREATEST(created_at, scheduled_for) < @olderThan)
            OR (status = 'scheduled' AND scheduled_for < @olderThan)
         ORDER BY 3
         LIMIT 100
        """;

    /// <summary>
    /// Pending executions recorded (or, for runs for later, due) before <paramref name="olderThan"/>, and scheduled ones
    /// due before it: candidates for a stranded hand-over.
    /// </summary>
    public Task<IReadOnlyList<PendingExecution>> PendingOlderThanAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<PendingExecution>(StrandedSql, new { olderThan }, cancellationToken);
}

/// <summary>A run given up by its node: ended "runner lost", or its re-run abandoned.</summary>
public sealed record LostExecution(Guid Id, string JobType, string? RunnerId);

/// <summary>A pending execution, for the stranded-pending sweep; <paramref name="CreatedAt"/> is when it was due, for a run for later.</summary>
public sealed record PendingExecution(Guid Id, string JobType, DateTimeOffset CreatedAt);
