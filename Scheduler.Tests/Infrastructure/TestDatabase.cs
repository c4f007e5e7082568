using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scheduler.Service.Data;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// One throwaway database per test run on the server named by <c>ConnectionStrings__Scheduler</c>
/// (./test.sh starts its own PostgreSQL), migrated exactly as production migrates.
/// Created by <see cref="TestRun"/> before any test.
/// </summary>
public static class TestDatabase
{
    private static readonly List<string> Created = [];

    public static string ConnectionString { get; private set; } = "";

    public static async Task CreateAndMigrateAsync()
    {
        ConnectionString = await CreateEmptyDatabaseAsync("run");
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).ApplyAsync(CancellationToken.None);
    }

    public static async Task DropAllAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = await OpenAdminAsync();
        foreach (var name in Created)
        {
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    /// <summary>A new, empty database; dropped when the run ends.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync(string purpose)
    {
        var name = $"scheduler_test_{purpose}_{Guid.NewGuid():N}"[..40];
        await using (var admin = await OpenAdminAsync())
        {
            await admin.ExecuteAsync($"CREATE DATABASE \"{name}\"");
        }

        Created.Add(name);
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Empties the service's tables and Quartz's, so a test starts from nothing.</summary>
    public static async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var quartzTables = await connection.QueryAsync<string>(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'qrtz\\_%'");
        var tables = string.Join(", ", quartzTables.Concat(["scheduled_jobs", "scheduled_jobs_archive", "job_heartbeats", "digest_deliveries", "audit_log", "schedule_overrides", "schedule_pauses", "schedule_backfills", "job_schedules", "scheduler_events", "execution_logs", "job_type_definitions", "notification_subscriptions", "notification_deliveries", "job_stats_runs", "job_stats_durations", "job_stats_failure_reasons"]));
        await connection.ExecuteAsync($"TRUNCATE {tables} CASCADE");
        await connection.ExecuteAsync("UPDATE job_stats_rollup SET rolled_until = NULL");
    }

    public static async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Scheduler")
        ?? throw new InvalidOperationException(
            "ConnectionStrings__Scheduler is not set. Run the tests with ./test.sh, which starts a PostgreSQL of its own.");

    private static async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
