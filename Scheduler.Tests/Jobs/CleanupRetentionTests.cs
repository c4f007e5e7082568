using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Cleanup;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

/// <summary>
/// <c>cleanup_old_data</c>'s retention steps with the production windows, two rows per delete batch: rows of known
/// ages in every table, and which of them a run deletes.
/// </summary>
public sealed class CleanupRetentionTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:cleanup_old_data:DeleteBatchSize"] = "2",
        ["Jobs:cleanup_old_data:ArchiveBatchSize"] = "2",
        // The supervisor prunes live events past the stream's hour every few ticks; here it ticks rarely, so what the
        // events step deletes is its own doing.
        ["Recovery:HeartbeatInterval"] = "00:05:00",
        ["Recovery:StaleAfter"] = "00:30:00",
    };

    [SetUp]
    public async Task EmptyTheHistory()
    {
        StandIns.State.Reset();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            TRUNCATE scheduled_jobs, scheduled_jobs_archive, execution_logs, audit_log, scheduler_events, digest_deliveries,
                     notification_deliveries, notification_subscriptions
            """);
    }

    [Test]
    public async Task ArchivePurge_DeletesArchivedRunsPastAYear_KeepingFailedRunsTwoYears()
    {
        await ArchivedAsync("completed", daysAgo: 366);
        await ArchivedAsync("cancelled", daysAgo: 366);
        await ArchivedAsync("skipped", daysAgo: 400);
        var recent = await ArchivedAsync("completed", daysAgo: 364);
        var failedKept = await ArchivedAsync("failed", daysAgo: 700);
        await ArchivedAsync("failed", daysAgo: 731);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.ArchivePurge);

        var step = Steps(done)["archivePurge"];
        step.GetProperty("deleted").GetInt32().Should().Be(4);
        step.GetProperty("olderThan").GetDateTimeOffset().Should().BeCloseTo(done.StartedAt!.Value.AddDays(-365), TimeSpan.FromMinutes(1));
        step.GetProperty("failedOlderThan").GetDateTimeOffset().Should().BeCloseTo(done.StartedAt!.Value.AddDays(-730), TimeSpan.FromMinutes(1));
        (await IdsAsync("SELECT id FROM scheduled_jobs_archive")).Should().BeEquivalentTo([recent, failedKept]);
    }

    [Test]
    public async Task Archive_KeepsFailedRunsLiveForHalfAYear_AndMovesTheOthersWithTheirProgress()
    {
        await using var connection = await TestDatabase.OpenAsync();
        var withProgress = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, completed_at, started_by, progress, created_at, updated_at)
            VALUES ('seeded', 'completed', 'manual', now() - interval '91 days', now() - interval '91 days', 'seed',
                    '{"done": 40, "total": 40, "message": "all pages"}'::jsonb, now() - interval '91 days', now() - interval '91 days')
            RETURNING id
            """);
        var failedRecent = await LiveAsync("failed", daysAgo: 179);
        var failedOld = await LiveAsync("failed", daysAgo: 181);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.Archive);

        Steps(done)["archive"].GetProperty("archived").GetInt32().Should().Be(2);
        (await IdsAsync("SELECT id FROM scheduled_jobs WHERE job_type = 'seeded'")).Should().Equal(failedRecent);
        (await IdsAsync("SELECT id FROM scheduled_jobs_archive")).Should().BeEquivalentTo([withProgress, failedOld]);
        var progress = await connection.ExecuteScalarAsync<string>("SELECT progress::text FROM scheduled_jobs_archive WHERE id = @withProgress", new { withProgress });
        using var moved = JsonDocument.Parse(progress!);
        moved.RootElement.GetProperty("done").GetInt32().Should().Be(40);
        moved.RootElement.GetProperty("message").GetString().Should().Be("all pages");
    }

    [Test]
    public async Task ExecutionLogs_PastNinetyDays_AreDeleted_OfLiveAndArchivedRunsAlike()
    {
        var archived = await ArchivedAsync("completed", daysAgo: 100);
        var live = await LiveAsync("completed", daysAgo: 10);
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO execution_logs (execution_id, seq, at, level, message)
            VALUES (@archived, 1, now() - interval '100 days', 'info', 'old'), (@archived, 2, now() - interval '100 days', 'info', 'old'),
                   (@live, 1, now() - interval '91 days', 'info', 'old'), (@live, 2, now() - interval '89 days', 'info', 'kept')
            """, new { archived, live });

        var done = await RunStepsAsync(CleanupOldDataType.Steps.ExecutionLogs);

        Steps(done)["executionLogs"].GetProperty("deleted").GetInt32().Should().Be(3);
        (await connection.QueryAsync<string>("SELECT message FROM execution_logs WHERE execution_id IN (@archived, @live)", new { archived, live }))
            .Should().Equal("kept");
    }

    [Test]
    public async Task AuditLog_PastAYear_IsDeleted_YoungerEntriesKept()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO audit_log (at, actor, action, target_type, target_id, outcome)
            SELECT now() - make_interval(days => d), 'seed', 'job.trigger', 'execution', d::text, 'accepted'
              FROM unnest(ARRAY[366, 400, 364, 30]) AS d
            """);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.AuditLog);

        Steps(done)["auditLog"].GetProperty("deleted").GetInt32().Should().Be(2);
        (await connection.QueryAsync<string>("SELECT target_id FROM audit_log WHERE actor = 'seed' ORDER BY at")).Should().Equal("364", "30");
    }

    [Test]
    public async Task Events_PastAWeek_AreDeleted_YoungerOnesKept()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO scheduler_events (at, topic, kind, job_type)
            SELECT now() - make_interval(days => d), 'schedule', 'changed', 'seeded_' || d
              FROM unnest(ARRAY[8, 30, 6]) AS d
            """);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.Events);

        Steps(done)["events"].GetProperty("deleted").GetInt32().Should().Be(2);
        (await connection.QueryAsync<string>("SELECT job_type FROM scheduler_events WHERE job_type LIKE 'seeded%'")).Should().Equal("seeded_6");
    }

    [Test]
    public async Task DigestDeliveries_PastNinetyDays_AreDeleted_YoungerOnesKept()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO digest_deliveries (digest_week, user_id, idempotency_key, execution_id, sent_at)
            SELECT 'W' || d, 'user-' || d, 'key-' || d, gen_random_uuid(), now() - make_interval(days => d)
              FROM unnest(ARRAY[91, 120, 89, 7]) AS d
            """);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.DigestDeliveries);

        Steps(done)["digestDeliveries"].GetProperty("deleted").GetInt32().Should().Be(2);
        (await connection.QueryAsync<string>("SELECT user_id FROM digest_deliveries ORDER BY sent_at")).Should().Equal("user-89", "user-7");
    }

    [Test]
    public async Task NotificationDeliveries_PastNinetyDays_AreDeleted_ButNeverAPendingOne()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            WITH hook AS (
              INSERT INTO notification_subscriptions (job_type, name, kind, url, events, source, created_by, created_at, updated_at)
              VALUES ('seeded', 'ops', 'webhook', 'http://127.0.0.1:9/hook', '{failure}', 'api', 'seed', now(), now())
              RETURNING id)
            INSERT INTO notification_deliveries (subscription_id, execution_id, job_type, event, status, attempts, next_attempt_at, last_error, last_attempt_at, created_at)
            SELECT hook.id, gen_random_uuid(), 'seeded', 'failure', status, 1, next_at, label,
                   now() - make_interval(days => attempted), now() - make_interval(days => created)
              FROM hook, (VALUES ('delivered', 100, 100, NULL::timestamptz, 'delivered long ago'),
                                 ('failed',    95,  91,  NULL,              'given up long ago'),
                                 ('delivered', 89,  89,  NULL,              'delivered recently'),
                                 ('failed',    120, 10,  NULL,              'given up recently'),
                                 ('pending',   200, 200, now() + interval '1 day', 'still owed')) AS d(status, created, attempted, next_at, label)
            """);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.NotificationDeliveries);

        Steps(done)["notificationDeliveries"].GetProperty("deleted").GetInt32().Should().Be(2);
        (await connection.QueryAsync<string>("SELECT last_error FROM notification_deliveries ORDER BY created_at"))
            .Should().BeEquivalentTo("still owed", "given up recently", "delivered recently");
    }

    [Test]
    public async Task Purge_DeletesInBatchesOfTheConfiguredSize_AndCountsThem()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO audit_log (at, actor, action, target_type, outcome)
            SELECT now() - interval '400 days', 'seed', 'job.trigger', 'execution', 'accepted' FROM generate_series(1, 5)
            """);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.AuditLog);

        var step = Steps(done)["auditLog"];
        step.GetProperty("deleted").GetInt32().Should().Be(5);
        step.GetProperty("batches").GetInt32().Should().Be(3, "2 + 2 + 1");
        done.Result!.ItemsProcessed.Should().Be(5);
    }

    [Test]
    public async Task Steps_GivenInParameters_RunAlone_AndTheOthersAreReportedSkipped()
    {
        await ArchivedAsync("completed", daysAgo: 400);
        await LiveAsync("completed", daysAgo: 100);

        var done = await RunStepsAsync(CleanupOldDataType.Steps.ArchivePurge, CleanupOldDataType.Steps.Events);

        var steps = Steps(done);
        steps.Keys.Should().BeEquivalentTo(CleanupOldDataType.Steps.All);
        steps.Where(s => s.Value.GetProperty("status").GetString() == "ok").Select(s => s.Key).Should().BeEquivalentTo("archivePurge", "events");
        steps.Where(s => s.Value.GetProperty("status").GetString() == "skipped").Should().HaveCount(CleanupOldDataType.Steps.All.Count - 2);
        StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().BeEmpty();
        StandIns.State.RequestsTo("POST", "/api/discoveries/trending/recalculate").Should().BeEmpty();
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE job_type = 'seeded'")).Should().Be(1, "archive was not asked for");
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs_archive")).Should().Be(0);
    }

    [TestCase("""{"steps": ["auditLog", "vacuum"]}""", "parameters.steps", "Unknown: vacuum", TestName = "Trigger_WithAnUnknownStep_Returns400NamingSteps")]
    [TestCase("""{"steps": []}""", "parameters.steps", "non-empty list", TestName = "Trigger_WithNoSteps_Returns400NamingSteps")]
    [TestCase("""{"steps": "auditLog"}""", "parameters.steps", "non-empty list", TestName = "Trigger_WithStepsNotAList_Returns400NamingSteps")]
    [TestCase("""{"steps": ["events", "events"]}""", "parameters.steps", "listed twice", TestName = "Trigger_WithAStepTwice_Returns400NamingSteps")]
    [TestCase("""{"digestDeliveryRetentionDays": 7}""", "parameters.digestDeliveryRetentionDays", "from 14", TestName = "Trigger_WithADigestRetentionOfOneWeek_Returns400NamingIt")]
    [TestCase("""{"auditRetentionDays": 10}""", "parameters.auditRetentionDays", "at least 30", TestName = "Trigger_WithAnAuditRetentionBelowTheFloor_Returns400NamingIt")]
    [TestCase("""{"failedArchiveRetentionDays": "long"}""", "parameters.failedArchiveRetentionDays", "whole number", TestName = "Trigger_WithAWindowNotANumber_Returns400NamingIt")]
    public async Task Trigger_WithBadStepsOrWindows_Returns400NamingTheField_AndRecordsNothing(string parameters, string field, string message)
    {
        using var parsed = JsonDocument.Parse(parameters);
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CleanupOldData, parameters = parsed.RootElement });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).Should().Equal([field]);
        errors.GetProperty(field)[0].GetString().Should().Contain(message);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE job_type = 'cleanup_old_data'")).Should().Be(0);
    }

    [Test]
    public async Task Types_ListStepsAsAListOfItsChoices_AndEveryWindowWithItsDefault()
    {
        var types = (await Service.Client.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!;

        var parameters = types.Single(t => t.Name == JobTypes.CleanupOldData).Parameters.ToDictionary(p => p.Name);
        parameters["steps"].Type.Should().Be("array");
        parameters["steps"].Choices.Should().Equal(CleanupOldDataType.Steps.All);
        parameters["archiveRetentionDays"].Default.Should().Be(365);
        parameters["failedArchiveRetentionDays"].Default.Should().Be(730);
        parameters["auditRetentionDays"].Minimum.Should().Be(30);
        parameters["digestDeliveryRetentionDays"].Minimum.Should().Be(14);
        parameters["eventRetentionDays"].Choices.Should().BeNull();
    }

    [Test]
    public async Task Archive_CancelledBetweenBatches_LeavesEachRowInOnePlace_AndARerunFinishes()
    {
        const int seeded = 4000;
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, completed_at, started_by, created_at, updated_at)
            SELECT 'seeded', 'completed', 'manual', t, t, 'seed', t, t
              FROM (SELECT now() - interval '100 days' - make_interval(secs => g) AS t FROM generate_series(1, @seeded) AS g) AS s
            """, new { seeded });
        var id = await TriggerAsync(new { steps = new[] { CleanupOldDataType.Steps.Archive } });
        await Eventually.Until(() => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs_archive"), n => n > 0,
            TimeSpan.FromSeconds(60), "the first batches to be archived");

        using (var cancel = await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null))
        {
            cancel.StatusCode.Should().Be(HttpStatusCode.Accepted, await cancel.Content.ReadAsStringAsync());
        }

        var cancelled = await Eventually.Until(() => Service.GetExecutionAsync(id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(60), "the cancelled run to end");
        cancelled.Status.Should().Be(ExecutionStatus.Cancelled);
        var live = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE job_type = 'seeded'");
        var archived = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs_archive");
        TestContext.Out.WriteLine($"cancelled with {archived} archived and {live} live");
        live.Should().BeGreaterThan(0, "the run was stopped before the end");
        (live + archived).Should().Be(seeded);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs s JOIN scheduled_jobs_archive a USING (id)")).Should().Be(0);

        var rerun = await WaitAsync(await TriggerAsync(new { steps = new[] { CleanupOldDataType.Steps.Archive } }));

        rerun.Status.Should().Be(ExecutionStatus.Completed, rerun.Error);
        Steps(rerun)["archive"].GetProperty("archived").GetInt64().Should().Be(live);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE job_type = 'seeded'")).Should().Be(0);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs_archive")).Should().Be(seeded);
    }

    private async Task<JobExecution> RunStepsAsync(params string[] steps)
    {
        var done = await WaitAsync(await TriggerAsync(new { steps }));
        done.Status.Should().Be(ExecutionStatus.Completed, done.Error);
        return done;
    }

    private async Task<Guid> TriggerAsync(object parameters)
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CleanupOldData, parameters });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
    }

    private Task<JobExecution> WaitAsync(Guid id) =>
        Eventually.Until(() => Service.GetExecutionAsync(id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(60), $"cleanup run {id} to finish");

    private static async Task<Guid> LiveAsync(string status, int daysAgo)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, completed_at, started_by, error, created_at, updated_at)
            SELECT 'seeded', @status, 'manual', t, t, 'seed', CASE WHEN @status = 'failed' THEN 'boom' END, t, t
              FROM (SELECT now() - make_interval(days => @daysAgo) AS t) AS s
            RETURNING id
            """, new { status, daysAgo });
    }

    private static async Task<Guid> ArchivedAsync(string status, int daysAgo)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs_archive (id, job_type, status, trigger, started_at, completed_at, started_by, created_at, updated_at, archived_at)
            SELECT gen_random_uuid(), 'seeded', @status, 'manual', t, t, 'seed', t, t, now()
              FROM (SELECT now() - make_interval(days => @daysAgo) AS t) AS s
            RETURNING id
            """, new { status, daysAgo });
    }

    private static async Task<IReadOnlyList<Guid>> IdsAsync(string sql)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return [.. await connection.QueryAsync<Guid>(sql)];
    }

    private static Dictionary<string, JsonElement> Steps(JobExecution execution) =>
        ((JsonElement)execution.Result!.Details["steps"]!).EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
}
