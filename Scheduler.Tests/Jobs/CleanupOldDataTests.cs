using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

public sealed class CleanupOldDataTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:cleanup_old_data:ArchiveBatchSize"] = "10",
        ["Jobs:cleanup_old_data:ExecutionRetentionDays"] = "90",
        ["Jobs:cleanup_old_data:InteractionRetentionDays"] = "730",
    };

    [SetUp]
    public async Task ResetStandInsAndHistory()
    {
        StandIns.State.Reset();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("TRUNCATE scheduled_jobs, scheduled_jobs_archive");
    }

    [Test]
    public async Task Cleanup_RunsEveryStep_AndArchivesOnlyExecutionsFinishedBeforeTheWindow()
    {
        await SeedHistoryAsync(finishedDaysAgo: 100, count: 25);
        await SeedHistoryAsync(finishedDaysAgo: 10, count: 5);

        var done = await Service.RunAsync(JobTypes.CleanupOldData);

        done.Status.Should().Be(ExecutionStatus.Completed, done.Error);
        var interactions = StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().ContainSingle().Subject;
        interactions.Headers["Idempotency-Key"].Should().Be($"cleanup_old_data:{done.Id}:interactions");
        using (var body = JsonDocument.Parse(interactions.Body))
        {
            var olderThan = body.RootElement.GetProperty("olderThan").GetDateTimeOffset();
            olderThan.Should().BeCloseTo(done.StartedAt!.Value.AddDays(-730), TimeSpan.FromMinutes(1));
        }

        StandIns.State.RequestsTo("POST", "/api/discoveries/view-counts/refresh").Should().ContainSingle()
            .Which.Headers["Idempotency-Key"].Should().Be($"cleanup_old_data:{done.Id}:view-counts");
        StandIns.State.RequestsTo("POST", "/api/discoveries/trending/recalculate").Should().ContainSingle()
            .Which.Headers["Idempotency-Key"].Should().Be($"cleanup_old_data:{done.Id}:trending");

        var steps = Steps(done);
        steps["interactions"].GetProperty("deleted").GetInt32().Should().Be(120);
        steps["archive"].GetProperty("archived").GetInt32().Should().Be(25);
        steps["archive"].GetProperty("batches").GetInt32().Should().Be(3);
        steps["viewCounts"].GetProperty("updated").GetInt32().Should().Be(42);
        steps["trending"].GetProperty("updated").GetInt32().Should().Be(17);
        steps.Values.Should().OnlyContain(s => s.GetProperty("status").GetString() == "ok");
        done.Result!.ItemsProcessed.Should().Be(120 + 25 + 42 + 17);

        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs_archive")).Should().Be(25);
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE job_type = 'seeded'")).Should().Be(5);
    }

    [Test]
    public async Task Cleanup_OneFailingStep_FailsTheRun_WithoutHidingTheOthers()
    {
        await SeedHistoryAsync(finishedDaysAgo: 100, count: 3);
        StandIns.State.SetFault("POST", "/api/discoveries/view-counts/refresh", new Fault(Status: 500));

        var failed = await Service.RunAsync(JobTypes.CleanupOldData);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("viewCounts: discovery service answered 500 InternalServerError to POST /api/discoveries/view-counts/refresh");
        var steps = Steps(failed);
        steps["viewCounts"].GetProperty("status").GetString().Should().Be("failed");
        steps["interactions"].GetProperty("status").GetString().Should().Be("ok");
        steps["archive"].GetProperty("archived").GetInt32().Should().Be(3);
        steps["trending"].GetProperty("status").GetString().Should().Be("ok", "the step after the failing one still ran");
    }

    [Test]
    public async Task Archive_InterruptedMidway_LosesAndDuplicatesNoRow()
    {
        const int seeded = 50_000;
        await SeedHistoryAsync(finishedDaysAgo: 100, count: seeded);
        await using var dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        var store = new ExecutionArchive(dataSource);
        var cutoff = DateTimeOffset.UtcNow.AddDays(-90);

        // Cancel while batches are in flight: the statement running at that moment is rolled back.
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
        var moved = 0;
        var act = async () =>
        {
            int batch;
            do
            {
                batch = await store.ArchiveFinishedBeforeAsync(cutoff, 2000, DateTimeOffset.UtcNow, interrupt.Token);
                moved += batch;
            }
            while (batch > 0);
        };
        await act.Should().ThrowAsync<OperationCanceledException>();

        await using var connection = await TestDatabase.OpenAsync();
        var live = await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs");
        var archived = await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs_archive");
        var inBoth = await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM scheduled_jobs s JOIN scheduled_jobs_archive a USING (id)");
        TestContext.Out.WriteLine($"interrupted after {moved} archived rows: {live} live, {archived} archived");
        archived.Should().Be(moved, "every completed batch is in the archive, the interrupted one is not");
        (live + archived).Should().Be(seeded);
        inBoth.Should().Be(0);
        moved.Should().BeLessThan(seeded, "the interruption came before the end");
    }

    [TestCase("executionRetentionDays", 7, TestName = "Trigger_WithAnExecutionRetentionBelowTheFloor_Returns400NamingIt")]
    [TestCase("interactionRetentionDays", 29, TestName = "Trigger_WithAnInteractionRetentionBelowTheFloor_Returns400NamingIt")]
    public async Task Trigger_WithARetentionBelowTheFloor_Returns400NamingTheParameter_AndRunsNothing(string parameter, int days)
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger",
            new { jobType = JobTypes.CleanupOldData, parameters = new Dictionary<string, int> { [parameter] = days } });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).Should().Equal([$"parameters.{parameter}"]);
        errors.GetProperty($"parameters.{parameter}")[0].GetString().Should().Contain("at least 30").And.Contain("Jobs:cleanup_old_data:AllowShortRetention=true");
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE job_type = 'cleanup_old_data'")).Should().Be(0);
        StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().BeEmpty();
    }

    [Test]
    public async Task Types_ShowTheRetentionFloorAsTheParametersMinimum()
    {
        var types = (await Service.Client.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!;

        var parameters = types.Single(t => t.Name == JobTypes.CleanupOldData).Parameters.ToDictionary(p => p.Name);
        string[] history = ["interactionRetentionDays", "executionRetentionDays", "failedExecutionRetentionDays", "archiveRetentionDays",
            "failedArchiveRetentionDays", "executionLogRetentionDays", "auditRetentionDays", "notificationDeliveryRetentionDays"];
        history.Select(name => parameters[name].Minimum).Should().OnlyContain(minimum => minimum == 30);
    }

    [Test]
    public async Task Retry_OfARunWithARetentionBelowTheFloor_FailsWithoutDeletingAnything()
    {
        // A run accepted where AllowShortRetention was on, retried where it is off.
        await using var connection = await TestDatabase.OpenAsync();
        var failed = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, completed_at, started_by, error, parameters, created_at, updated_at)
            VALUES ('cleanup_old_data', 'failed', 'manual', now(), now(), 'ops', 'boom', '{"executionRetentionDays":2}'::jsonb, now(), now())
            RETURNING id
            """);
        await SeedHistoryAsync(finishedDaysAgo: 5, count: 3);

        using var response = await Service.Client.PostAsync($"/api/jobs/{failed}/retry", null);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var retry = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        var done = await Eventually.Until(() => Service.GetExecutionAsync(retry.Id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(30), "the retry to finish");

        done.Status.Should().Be(ExecutionStatus.Failed);
        done.Error.Should().Contain("executionRetentionDays 2 is below the 30-day floor");
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs_archive")).Should().Be(0);
        StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().BeEmpty();
    }

    private static async Task SeedHistoryAsync(int finishedDaysAgo, int count)
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_at, completed_at, started_by, result, created_at, updated_at)
            SELECT 'seeded', 'completed', 'manual', t, t + interval '1 second', 'seed', '{"success":true}'::jsonb, t, t
              FROM (SELECT now() - make_interval(days => @days) - make_interval(secs => g) AS t FROM generate_series(1, @count) AS g) AS s
            """, new { days = finishedDaysAgo, count });
    }

    private static Dictionary<string, JsonElement> Steps(JobExecution execution) =>
        ((JsonElement)execution.Result!.Details["steps"]!).EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
}
