using Dapper;
using Npgsql;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// <c>job_heartbeats</c>, the runbooks' view. Each job type's row: a success sets <c>last_success_at</c> and
/// clears the failure fields (written with the execution's outcome, <see cref="RunStore.FinishAsync"/>); a
/// failed run increments <c>consecutive_failures</c>. Each node's <c>jobs-runner</c>
/// row: its heartbeat.
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
    public async Task BeatAsync(string runnerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(BeatSql, new { runnerId, now }, cancellationToken: cancellationToken));
    }

    private const string RunnerBeatSql = "SELECT last_heartbeat FROM job_heartbeats WHERE name = 'jobs-runner' AND runner_id = @runnerId";

    /// <summary>When <paramref name="runnerId"/> last wrote its heartbeat, as the database has it; null if never.</summary>
    public async Task<DateTimeOffset?> LastBeatAsync(string runnerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var at = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(RunnerBeatSql, new { runnerId }, cancellationToken: cancellationToken));
        return at is { } value ? new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : null;
    }

    private const string ListSql = """
        SELECT name AS Name, runner_id AS RunnerId, last_heartbeat AS LastHeartbeat, last_success_at AS LastSuccessAt,
               consecutive_failures AS ConsecutiveFailures, last_error AS LastError, last_error_at AS LastErrorAt
          FROM job_heartbeats
         ORDER BY last_heartbeat DESC
        """;

    /// <summary>Every row: the job types' and every node's.</summary>
    public async Task<IReadOnlyList<HeartbeatRow>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<HeartbeatRow>(new CommandDefinition(ListSql, cancellationToken: cancellationToken))];
    }
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
    public async Task<int> FailedAsync(string jobType, string runnerId, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(FailedSql, new { jobType, runnerId, error, now }, cancellationToken: cancellationToken));
    }
}

/// <summary>One row of <c>job_heartbeats</c>; times are UTC.</summary>
public sealed record HeartbeatRow(
    string Name, string RunnerId, DateTime LastHeartbeat, DateTime? LastSuccessAt, int ConsecutiveFailures, string? LastError, DateTime? LastErrorAt);
