using Dapper;
using Npgsql;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// The PostgreSQL server ./bench.sh started: databases, and the counters a run reads from it. The benchmark's
/// own queries on a measured database start with <see cref="Tag"/>, so pg_stat_statements deltas leave them out.
/// </summary>
internal sealed class PgServer(string serverConnectionString)
{
    /// <summary>Marks the benchmark's own statements; pg_stat_statements keeps the comment in the query text.</summary>
    public const string Tag = "/* bench */";

    private long _droppedDeadlocks;

    public string ConnectionString(string database, int maxPool = 30) =>
        new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database, MaxPoolSize = maxPool }.ConnectionString;

    /// <summary>The service's connection string: pool size left to the service's own default, as in production.</summary>
    public string ServiceConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database }.ConnectionString;

    /// <summary>Drops and creates <paramref name="database"/>, so a scenario starts from an empty schema and fresh counters.</summary>
    public async Task RecreateAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = await OpenAdminAsync();
        // Dropping a database drops its counters; its deadlocks are kept for DeadlocksAsync.
        _droppedDeadlocks += await admin.ExecuteScalarAsync<long?>(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = @database", new { database }) ?? 0;
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        await admin.ExecuteAsync($"CREATE DATABASE \"{database}\"");
    }

    public async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A connection to <paramref name="database"/> outside any pool the measured code uses.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task EnsureStatementStatisticsAsync()
    {
        await using var admin = await OpenAdminAsync();
        await admin.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    }

    /// <summary>Commits and statements of <paramref name="database"/> so far (the benchmark's own statements left out).</summary>
    public async Task<DbCounters> CountersAsync(string database)
    {
        await using var admin = await OpenAdminAsync();
        var commits = await admin.ExecuteScalarAsync<long?>(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = @database", new { database }) ?? 0;
        var statements = (await admin.QueryAsync<(long QueryId, string Query, long Calls)>($"""
            SELECT s.queryid, s.query, s.calls
              FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
             WHERE d.datname = @database AND s.query NOT LIKE '{Tag}%'
            """, new { database })).ToList();
        var byQuery = new Dictionary<long, (string Query, long Calls)>();
        foreach (var (queryId, query, calls) in statements)
        {
            byQuery[queryId] = byQuery.TryGetValue(queryId, out var seen) ? (seen.Query, seen.Calls + calls) : (query, calls);
        }

        return new DbCounters(commits, byQuery);
    }

    /// <summary>Deadlocks PostgreSQL has detected so far, in every database, the ones this run dropped included.</summary>
    public async Task<long> DeadlocksAsync()
    {
        await using var admin = await OpenAdminAsync();
        return _droppedDeadlocks + (await admin.ExecuteScalarAsync<long?>("SELECT sum(deadlocks)::bigint FROM pg_stat_database") ?? 0);
    }

    public async Task<string> ScalarTextAsync(string sql)
    {
        await using var admin = await OpenAdminAsync();
        return await admin.ExecuteScalarAsync<string>(sql) ?? "";
    }
}

/// <summary>A snapshot of a database's commit count and its statements by query.</summary>
internal sealed record DbCounters(long Commits, IReadOnlyDictionary<long, (string Query, long Calls)> Statements)
{
    public long StatementCount => Statements.Values.Sum(s => s.Calls);

    /// <summary>What happened between <paramref name="before"/> and this snapshot, less <paramref name="ownCommits"/> the benchmark made itself.</summary>
    public DbDelta Since(DbCounters before, long ownCommits = 0)
    {
        var top = Statements
            .Select(s => (s.Value.Query, Calls: s.Value.Calls - (before.Statements.TryGetValue(s.Key, out var b) ? b.Calls : 0)))
            .Where(s => s.Calls > 0)
            .OrderByDescending(s => s.Calls)
            .ToList();
        return new DbDelta(Commits - before.Commits - ownCommits, top.Sum(s => s.Calls), top);
    }
}

internal sealed record DbDelta(long Commits, long Statements, IReadOnlyList<(string Query, long Calls)> ByQuery);
