using System.Security.Cryptography;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scheduler.Service.Data;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Data;

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
            "idx_scheduled_jobs_created_at", "ux_scheduled_jobs_schedule_occurrence"]);
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
        (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).Should().Equal(
            MigrationFiles.Select(f => int.Parse(Path.GetFileName(f)[..3], System.Globalization.CultureInfo.InvariantCulture)));
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

    [Test]
    public void Checksums_OfEveryMigrationFile_AreStillTheSha256OfItsBytes()
    {
        // What schema_migrations already holds for every database migrated so far.
        DatabaseMigrator.Embedded.Select(m => m.Checksum).Should().Equal(
            MigrationFiles.Select(f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))));
    }

    [Test]
    public async Task AppliedMigrations_CheckedOutWithCrlfLineEndings_HaveTheSameChecksums_AndApplyNothing()
    {
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("crlf");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).ApplyAsync(CancellationToken.None);
        // 001 mixes line endings as committed; .gitattributes keeps it byte for byte (-text), so no checkout converts it.
        var crlf = DatabaseMigrator.Embedded
            .Select(m => m.Sql.Contains('\r', StringComparison.Ordinal) ? m : new Migration(m.Version, m.Name, m.Sql.Replace("\n", "\r\n", StringComparison.Ordinal)))
            .ToList();

        var applied = await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance, migrations: crlf).ApplyAsync(CancellationToken.None);

        crlf.Count(m => m.Sql.Contains("\r\n", StringComparison.Ordinal)).Should().Be(DatabaseMigrator.Embedded.Count);
        crlf.Select(m => m.Checksum).Should().Equal(DatabaseMigrator.Embedded.Select(m => m.Checksum));
        applied.Should().BeEmpty();
    }

    [Test]
    public void GitAttributes_KeepMigrationsAndScriptsLf_AndTheQuartzSchemaByteForByte()
    {
        var lines = File.ReadAllLines(Path.Combine(ServiceProcess.RepositoryRoot, ".gitattributes")).Select(l => l.Trim()).ToList();

        lines.Should().Contain(["*.sql text eol=lf", "*.sh text eol=lf", "database/001_quartz_schema.sql -text"]);
    }

    [Test]
    public async Task Migration_BlockedByAHeldLock_TimesOut_Retries_AndSucceedsOnceTheLockIsReleased()
    {
        await using var dataSource = await DatabaseWithWidgetsAsync("lockwait");
        var logger = new RecordingLogger<DatabaseMigrator>();
        var migrator = Migrator(dataSource, logger, attempts: 100, AddName);
        await using var holder = await dataSource.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT count(*) FROM widgets", transaction: transaction);

        var applying = migrator.ApplyAsync(CancellationToken.None);
        await Eventually.Until(() => Task.FromResult(logger.Count(LogLevel.Warning, "002_add_name.sql timed out waiting for a lock")),
            retries => retries >= 2, TimeSpan.FromSeconds(30), "two lock timeouts of 002");
        applying.IsCompleted.Should().BeFalse("the lock is still held");
        await transaction.CommitAsync();
        var applied = await applying;

        applied.Should().Equal("002_add_name.sql");
        await using var connection = await dataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'name'")).Should().Be(1);
    }

    [Test]
    public async Task Migration_StillBlockedAfterItsAttempts_FailsNamingTheMigration_AndChangesNothing()
    {
        await using var dataSource = await DatabaseWithWidgetsAsync("lockfail");
        var logger = new RecordingLogger<DatabaseMigrator>();
        var migrator = Migrator(dataSource, logger, attempts: 3, AddName);
        await using var holder = await dataSource.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT count(*) FROM widgets", transaction: transaction);

        var act = () => migrator.ApplyAsync(CancellationToken.None);

        var failure = (await act.Should().ThrowAsync<InvalidOperationException>()
            .WithMessage("Migration 002_add_name.sql was not applied: in each of 3 attempts*Database:MigrationLockTimeout*")).Which;
        failure.InnerException.Should().BeOfType<PostgresException>().Which.SqlState.Should().Be(PostgresErrorCodes.LockNotAvailable);
        logger.Count(LogLevel.Warning, "002_add_name.sql timed out waiting for a lock").Should().Be(2, "logged before each of the two retries");
        await transaction.CommitAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'name'")).Should().Be(0);
        (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).Should().Equal(1);
    }

    [Test]
    public async Task NoTransactionMigration_WaitsOutAWriter_AndBuildsItsIndexesConcurrently_LeavingNoneInvalid()
    {
        await using var dataSource = await DatabaseWithWidgetsAsync("concurrently");
        var logger = new RecordingLogger<DatabaseMigrator>();
        var indexes = new Migration(2, "002_widget_indexes.sql", """
            -- migrate:no-transaction
            -- Two statements, each run and retried on its own.
            CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_widgets_created ON widgets (created_at);
            CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux_widgets_label ON widgets (label);
            """);
        var migrator = Migrator(dataSource, logger, attempts: 100, indexes);
        await using var writer = await dataSource.OpenConnectionAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await writer.ExecuteAsync("INSERT INTO widgets (id, label) VALUES (1000, 'held')", transaction: transaction);

        var applying = migrator.ApplyAsync(CancellationToken.None);
        await Eventually.Until(() => Task.FromResult(logger.Count(LogLevel.Warning, "dropping the invalid index ix_widgets_created")),
            drops => drops >= 1, TimeSpan.FromSeconds(30), "the interrupted build's invalid index to be dropped");
        await transaction.CommitAsync();
        var applied = await applying;

        applied.Should().Equal("002_widget_indexes.sql");
        await using var connection = await dataSource.OpenConnectionAsync();
        var built = await connection.QueryAsync<(string Name, bool Valid)>(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'widgets'::regclass AND c.relname <> 'widgets_pkey' ORDER BY 1");
        built.Should().Equal(("ix_widgets_created", true), ("ux_widgets_label", true));
    }

    [Test]
    public async Task Migrations_LeaveTheConnectionsLockTimeoutAsTheyFoundIt()
    {
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("timeoutreset");
        // As in production: no reset on return to the pool, and one connection, so the next open is the migrator's.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true, MaxPoolSize = 1 }.ConnectionString);
        await Migrator(dataSource, new RecordingLogger<DatabaseMigrator>(), attempts: 1, Widgets).ApplyAsync(CancellationToken.None);

        await using var connection = await dataSource.OpenConnectionAsync();

        (await connection.ExecuteScalarAsync<string>("SHOW lock_timeout")).Should().Be("0");
    }

    private static readonly Migration Widgets = new(1, "001_widgets.sql", """
        CREATE TABLE widgets (id integer PRIMARY KEY, label text, created_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO widgets (id, label) SELECT g, 'w' || g FROM generate_series(1, 100) g;
        """);

    private static readonly Migration AddName = new(2, "002_add_name.sql", "ALTER TABLE widgets ADD COLUMN name text;");

    /// <summary>A new database with 001 (the widgets table) applied.</summary>
    private static async Task<NpgsqlDataSource> DatabaseWithWidgetsAsync(string purpose)
    {
        var dataSource = NpgsqlDataSource.Create(await TestDatabase.CreateEmptyDatabaseAsync(purpose));
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance, migrations: [Widgets]).ApplyAsync(CancellationToken.None);
        return dataSource;
    }

    /// <summary>A migrator for 001 and <paramref name="next"/> with a short lock timeout and quick retries.</summary>
    private static DatabaseMigrator Migrator(NpgsqlDataSource dataSource, RecordingLogger<DatabaseMigrator> logger, int attempts, Migration next) =>
        new(dataSource, logger, new DatabaseOptions
        {
            MigrationLockTimeout = TimeSpan.FromMilliseconds(200),
            MigrationAttempts = attempts,
            MigrationRetryDelay = TimeSpan.FromMilliseconds(50),
        }, next == Widgets ? [Widgets] : [Widgets, next]);
}
