using Dapper;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Jobs.Execution;
using Scheduler.Service.Data;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Data;

/// <summary>
/// During a rolling deploy the previous release's nodes keep firing cron occurrences against the schema this release
/// migrated to. Its statements are copied here byte for byte, so the schema is checked against what that release
/// really sends.
/// </summary>
public sealed class PreviousReleaseCompatibilityTests
{
    /// <summary>The previous release's cron claim (<c>RunStore.ClaimOccurrenceSql</c>).</summary>
    private const string PreviousClaimOccurrenceSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_at, started_by, runner_id,
                                    fire_instance_id, heartbeat_at, created_at, updated_at, lease_token, lease_expires_at)
        VALUES (@jobType, 'running', 'cron', @scheduledFor, @now, 'scheduler', @runnerId, @fireInstanceId, @now, @now, @now,
                nextval('scheduled_jobs_lease_seq'), clock_timestamp() + @lease)
        ON CONFLICT (job_type, scheduled_for) WHERE trigger = 'cron' DO NOTHING
        RETURNING id AS Id, root_id AS RootId, trigger AS Trigger, parameters::text AS Parameters, lease_token AS LeaseToken
        """;

    /// <summary>The previous release's record of an occurrence it does not run (<c>RunStore.SkipOccurrenceSql</c>).</summary>
    private const string PreviousSkipOccurrenceSql = """
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_by, runner_id, error, result,
                                    completed_at, created_at, updated_at)
        VALUES (@jobType, 'skipped', 'cron', @scheduledFor, 'scheduler', @runnerId, @error, @result::jsonb, @now, @now, @now)
        ON CONFLICT (job_type, scheduled_for) WHERE trigger = 'cron' DO NOTHING
        """;

    /// <summary>The previous release's look-up of a recovered firing's run (<c>RunStore.FindOccurrenceSql</c>), read as a single row.</summary>
    private const string PreviousFindOccurrenceSql = "SELECT id FROM scheduled_jobs WHERE job_type = @jobType AND scheduled_for = @scheduledFor AND trigger = 'cron'";

    private const string FinishSql = "UPDATE scheduled_jobs SET status = 'completed', completed_at = now() WHERE status = 'running'";

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset First = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Second = First.AddMinutes(15);

    [Test]
    public async Task PreviousReleaseCronClaim_OnTheMigratedSchema_Succeeds_AndRecordsEachOccurrenceOnce()
    {
        await using var dataSource = await MigratedAsync("prevclaim", upTo: int.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync();

        var first = await connection.QuerySingleOrDefaultAsync<Guid?>(PreviousClaimOccurrenceSql, PreviousClaim("node-a", First));
        var second = await connection.QuerySingleOrDefaultAsync<Guid?>(PreviousClaimOccurrenceSql, PreviousClaim("node-b", First));
        await connection.ExecuteAsync(FinishSql);
        var skipped = await connection.ExecuteAsync(PreviousSkipOccurrenceSql, PreviousSkip("node-a", Second));
        var skippedAgain = await connection.ExecuteAsync(PreviousSkipOccurrenceSql, PreviousSkip("node-b", Second));

        first.Should().NotBeNull("the first node's claim records the occurrence");
        second.Should().BeNull("the occurrence is recorded once: the second node does not run it");
        (skipped, skippedAgain).Should().Be((1, 0));
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE trigger = 'cron'")).Should().Be(2);
    }

    [Test]
    public async Task CronOccurrence_ClaimedByNodesOfBothReleases_IsRecordedOnce_AndEachReleaseFindsIt()
    {
        // The previous release recorded First before this release's migrations ran, as on a live cluster.
        await using var dataSource = await MigratedAsync("bothreleases", upTo: 14);
        await using var connection = await dataSource.OpenConnectionAsync();
        var recordedBefore = await connection.QuerySingleAsync<Guid>(PreviousClaimOccurrenceSql, PreviousClaim("old-node", First));
        await connection.ExecuteAsync(FinishSql);
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).ApplyAsync(CancellationToken.None);
        var runs = new RunStore(dataSource);

        var againByNew = await runs.ClaimOccurrenceAsync(new ScheduledOccurrence("email_scan", "default", First), "new-node", "fire-1", Lease, First, CancellationToken.None);
        var byNew = await runs.ClaimOccurrenceAsync(new ScheduledOccurrence("email_scan", "default", Second), "new-node", "fire-2", Lease, Second, CancellationToken.None);
        await connection.ExecuteAsync(FinishSql);
        var againByOld = await connection.QuerySingleOrDefaultAsync<Guid?>(PreviousClaimOccurrenceSql, PreviousClaim("old-node", Second));
        var named = await runs.ClaimOccurrenceAsync(new ScheduledOccurrence("email_scan", "hourly", Second), "new-node", "fire-3", Lease, Second, CancellationToken.None);

        againByNew.Should().BeOfType<OccurrenceOutcome.AlreadyRecorded>("the old node recorded it; its row has no schedule");
        var claimed = byNew.Should().BeOfType<OccurrenceOutcome.Claimed>().Which.Run;
        claimed.Trigger.Should().Be(ExecutionTrigger.Cron);
        againByOld.Should().BeNull("the new node recorded it");
        named.Should().BeOfType<OccurrenceOutcome.Claimed>("a named schedule's occurrence at the same time is its own")
            .Which.Run.Trigger.Should().Be(ExecutionTrigger.Schedule);
        (await connection.QuerySingleAsync<Guid>(PreviousFindOccurrenceSql, new { jobType = "email_scan", scheduledFor = Second }))
            .Should().Be(claimed.Id, "the previous release's recovery finds the configured schedule's run, not the named one's");
        (await runs.FindOccurrenceAsync("email_scan", "default", First, CancellationToken.None)).Should().Be(recordedBefore);
        (await runs.FindOccurrenceAsync("email_scan", "hourly", Second, CancellationToken.None)).Should().Be(((OccurrenceOutcome.Claimed)named).Run.Id);
        (await connection.QueryAsync<(string Trigger, string? Schedule)>("SELECT trigger, schedule FROM scheduled_jobs ORDER BY scheduled_for, trigger"))
            .Should().Equal(("cron", null), ("cron", "default"), ("schedule", "hourly"));
    }

    [Test]
    public async Task NamedSchedulesMigration_RunAgainStatementByStatement_ChangesNothing()
    {
        await using var dataSource = await MigratedAsync("rerun015", upTo: int.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync();
        const string SchemaSql = """
            SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint
             WHERE conrelid IN ('scheduled_jobs'::regclass, 'scheduled_jobs_archive'::regclass)
            UNION ALL
            SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename IN ('scheduled_jobs', 'scheduled_jobs_archive')
            ORDER BY 1
            """;
        var before = (await connection.QueryAsync<string>(SchemaSql)).ToList();

        foreach (var statement in SqlStatements.Split(DatabaseMigrator.Embedded.Single(m => m.Version == 15).Sql))
        {
            await connection.ExecuteAsync(statement);
        }

        (await connection.QueryAsync<string>(SchemaSql)).Should().Equal(before);
        before.Should().Contain(c => c.Contains("ux_scheduled_jobs_cron_occurrence", StringComparison.Ordinal), "the previous release claims against it")
            .And.Contain(c => c.StartsWith("scheduled_jobs_archive scheduled_jobs_trigger_check", StringComparison.Ordinal) && c.Contains("'schedule'", StringComparison.Ordinal) && c.EndsWith(" true", StringComparison.Ordinal));
    }

    [Test]
    public async Task ScheduleRun_WithoutItsScheduleOrOccurrence_IsRefusedByTheDatabase()
    {
        await using var dataSource = await MigratedAsync("schedcheck", upTo: int.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync();

        var act = () => connection.ExecuteAsync(
            "INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for) VALUES ('email_scan', 'pending', 'schedule', now())");

        (await act.Should().ThrowAsync<PostgresException>()).Which.ConstraintName.Should().Be("scheduled_jobs_schedule_has_occurrence");
    }

    [Test]
    public async Task FinishedScheduleRun_IsArchived_WithItsScheduleAndJitter()
    {
        await using var dataSource = await MigratedAsync("archivesched", upTo: int.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, schedule, jitter_ms, completed_at, created_at)
            VALUES ('email_scan', 'completed', 'schedule', @First, 'hourly', 1234, @First, @First)
            """, new { First });

        var moved = await new ExecutionArchive(dataSource).ArchiveFinishedBeforeAsync(First.AddDays(1), 10, First.AddDays(91), CancellationToken.None);

        moved.Should().Be(1);
        (await connection.QuerySingleAsync<(string Trigger, string Schedule, int JitterMs)>("SELECT trigger, schedule, jitter_ms FROM scheduled_jobs_archive"))
            .Should().Be(("schedule", "hourly", 1234));
    }

    private static object PreviousClaim(string runnerId, DateTimeOffset scheduledFor) =>
        new { jobType = "email_scan", scheduledFor, now = scheduledFor, runnerId, fireInstanceId = $"{runnerId}-{scheduledFor:HHmm}", lease = Lease };

    private static object PreviousSkip(string runnerId, DateTimeOffset scheduledFor) =>
        new { jobType = "email_scan", scheduledFor, now = scheduledFor, runnerId, error = "skipped: overlap", result = """{"success":false}""" };

    /// <summary>A new database with the migrations up to <paramref name="upTo"/> applied, as production applies them.</summary>
    private static async Task<NpgsqlDataSource> MigratedAsync(string purpose, int upTo)
    {
        var dataSource = NpgsqlDataSource.Create(await TestDatabase.CreateEmptyDatabaseAsync(purpose));
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance, migrations: [.. DatabaseMigrator.Embedded.Where(m => m.Version <= upTo)])
            .ApplyAsync(CancellationToken.None);
        return dataSource;
    }
}
