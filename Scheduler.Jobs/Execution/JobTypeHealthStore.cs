using Dapper;
using Npgsql;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Each job type's row in <c>job_heartbeats</c> (the runbooks' view): a success sets
/// <c>last_success_at</c> and clears the failure fields; a failed run increments <c>consecutive_failures</c>.
/// </summary>
public sealed class JobTypeHealthStore(NpgsqlDataSource dataSource)
{
    private const string SucceededSql = """
        INSERT INTO job_heartbeats (name, runner_id, last_heartbeat, last_success_at, consecutive_failures)
        VALUES (@jobType, @runnerId, @now, @now, 0)
        ON CONFLICT (name) WHERE name <> 'jobs-runner' DO UPDATE
           SET runner_id = EXCLUDED.runner_id, last_heartbeat = EXCLUDED.last_heartbeat,
               last_success_at = EXCLUDED.last_success_at, consecutive_failures = 0,
               last_error = NULL, last_error_at = NULL
        """;

    public async Task SucceededAsync(string jobType, string runnerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(SucceededSql, new { jobType, runnerId, now }, cancellationToken: cancellationToken));
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
