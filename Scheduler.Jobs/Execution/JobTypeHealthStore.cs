using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// <c>job_heartbeats</c>, the runbooks' view. Each job type's row: a success sets <c>last_success_at</c> and
/// clears the failure fields (written with the execution's outcome, <see cref="RunStore.FinishAsync"/>); a
/// failed run increments <c>consecutive_failures</c>. Each node's <c>jobs-runner</c>
/// row: its heartbeat (the only thing the service calls a heartbeat).
/// </summary>
public sealed class JobTypeHealthStore(NpgsqlDataSource dataSource)
{
    public const string RunnerRow = "jobs-runner";

    private const string BeatSql = """
        INSERT INTO job_heartbeats (name, runner_id, last_heartbeat, last_success_at)
        VALUES ('jobs-runner', @runnerId, @now, @now)
        ON CONFLICT (name, runner_id) WHERE name = 'jobs-runner' DO UPDATE
           SET last_heartbeat = EXCLUDED.last_heartbeat, last_success_at = EXCLUDED.last_success_at
        """;

    /// <summary>Writes this node's <c>jobs-runner</c> heartbeat.</summary>
    public Task BeatAsync(string runnerId, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(BeatSql, new { runnerId, now }, cancellationToken);

    private const string RunnerBeatSql = "SELECT last_heartbeat FROM job_heartbeats WHERE name = 'jobs-runner' AND runner_id = @runnerId";

    /// <summary>When <paramref name="runnerId"/> last wrote its heartbeat, as the database has it; null if never.</summary>
    public Task<DateTimeOffset?> LastBeatAsync(string runnerId, CancellationToken cancellationToken) =>
        dataSource.QuerySingleOrDefaultAsync<DateTimeOffset?>(RunnerBeatSql, new { runnerId }, cancellationToken);

    private const string ListSql = """
        SELECT name AS Name, runner_id AS RunnerId, last_heartbeat AS LastHeartbeat, last_success_at AS LastSuccessAt,
               consecutive_failures AS ConsecutiveFailures, last_error AS LastError, last_error_at AS LastErrorAt
          FROM job_heartbeats
         ORDER BY last_heartbeat DESC
        """;

    /// <summary>Every row: the job types' and every node's.</summary>
    public Task<IReadOnlyList<HeartbeatRow>> ListAsync(CancellationToken cancellationToken) =>
        dataSource.QueryAsync<HeartbeatRow>(ListSql, null, cancellationToken);

    private const string FailedSql = """
        INSERT INTO job_heartbeats (name, runner_id, last_heartbeat, consecutive_failures, last_error, last_error_at)
        VALUES (@jobType, @runnerId, @now, 1, @error, @now)
        ON CONFLICT (name) WHERE name <> 'jobs-runner' DO UPDATE
           SET runner_id = EXCLUDED.runner_id, last_heartbeat = EXCLUDED.last_heartbeat,
               consecutive_failures = job_heartbeats.consecutive_failures + 1,
               last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at
        RETURNING consecutive_failures
        """;

    /// <summary>Counts a failed run (retries exhausted); returns the type's consecutive failures now.</summary>
    public Task<int> FailedAsync(string jobType, string runnerId, string error, DateTimeOffset now, CancellationToken cancellationToken) =>
        dataSource.ExecuteScalarAsync<int>(FailedSql, new { jobType, runnerId, error, now }, cancellationToken);
}

/// <summary>One row of <c>job_heartbeats</c>.</summary>
public sealed record HeartbeatRow(
    string Name, string RunnerId, DateTimeOffset LastHeartbeat, DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, string? LastError, DateTimeOffset? LastErrorAt);
