using Dapper;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scheduler.Service.Data;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests;

public sealed class MigrationTests
{
    /// <summary>The files in database/, in the order they apply.</summary>
    private static IReadOnlyList<string> MigrationFiles =>
        [.. Directory.GetFiles(Path.Combine(ServiceProcess.RepositoryRoot, "database"), "*.sql").Order(StringComparer.Ordinal)];

    [Test]
    public async Task Migrations_OnAnEmptyDatabase_CreateQuartzTablesScheduledJobsAndHeartbeats()
    {
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("empty");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var applied = await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).ApplyAsync(CancellationToken.None);

        applied.Should().Equal(MigrationFiles.Select(Path.GetFileName));
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).ToList();
        tables.Should().Contain(["qrtz_job_details", "qrtz_triggers", "qrtz_cron_triggers", "qrtz_fired_triggers",
            "qrtz_scheduler_state", "qrtz_locks", "qrtz_paused_job_grps", "scheduled_jobs", "job_heartbeats", "schema_migrations",
            "scheduled_jobs_archive", "digest_deliveries"]);
        var indexes = (await connection.QueryAsync<string>("SELECT indexname FROM pg_indexes WHERE tablename = 'scheduled_jobs'")).ToList();
        indexes.Should().Contain(["idx_scheduled_jobs_status", "idx_scheduled_jobs_job_type", "idx_scheduled_jobs_started_by",
            "idx_scheduled_jobs_created_at", "ux_scheduled_jobs_cron_occurrence"]);
    }

    [Test]
    public async Task Migrations_AppliedTwice_TheSecondTimeDoesNothing()
    {
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("twice");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var migrator = new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance);
        await migrator.ApplyAsync(CancellationToken.None);

        var second = await migrator.ApplyAsync(CancellationToken.None);

        second.Should().BeEmpty();
        await using var connection = await dataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations")).Should().Be(DatabaseMigrator.Embedded.Count);
    }

    [Test]
    public async Task Migrations_FromTwoProcessesAtOnce_BothSucceedAndEachFileAppliesOnce()
    {
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("race");
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__Scheduler"] = connectionString };

        using var first = ServiceProcess.Launch("migrate", environment);
        using var second = ServiceProcess.Launch("migrate", environment);
        var outputs = await Task.WhenAll(first.StandardOutput.ReadToEndAsync(), second.StandardOutput.ReadToEndAsync());
        await Task.WhenAll(first.WaitForExitAsync(), second.WaitForExitAsync());

        first.ExitCode.Should().Be(0, outputs[0]);
        second.ExitCode.Should().Be(0, outputs[1]);
        outputs.Count(o => o.Contains("applied 001_quartz_schema.sql", StringComparison.Ordinal)).Should().Be(1, "one process applies, the other waits on the lock");
        outputs.Count(o => o.Contains("up to date", StringComparison.Ordinal)).Should().Be(1);
        await using var connection = new NpgsqlConnection(connectionString);
        (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).Should().Equal(MigrationFiles.Select((_, i) => i + 1));
    }

    [Test]
    public async Task Migrations_WhenAnAppliedFileWasEdited_RefuseToStart()
    {
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("edited");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var migrator = new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance);
        await migrator.ApplyAsync(CancellationToken.None);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2");
        }

        var act = () => migrator.ApplyAsync(CancellationToken.None);

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*002_scheduled_jobs.sql was changed*");
    }
}
