using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Health;

/// <summary>The runbooks' heartbeats, <c>/readyz</c> and <c>/api/jobs/status</c>, with a 3-second TTL and the heartbeat required.</summary>
public sealed class HeartbeatTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Heartbeat:TtlSeconds"] = "3",
        ["Heartbeat:Required"] = "true",
    };

    [Test]
    public async Task JobTypeRow_FailureIncrements_AndSuccessClears()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));
        await Service.RunAsync(JobTypes.CrawlPending);
        await Service.RunAsync(JobTypes.CrawlPending);
        var failing = await RowAsync(JobTypes.CrawlPending);
        StandIns.State.ClearFault("GET", "/api/discoveries");
        await Service.RunAsync(JobTypes.CrawlPending);
        var recovered = await RowAsync(JobTypes.CrawlPending);

        failing.ConsecutiveFailures.Should().Be(2);
        failing.LastError.Should().Contain("500");
        failing.LastErrorAt.Should().NotBeNull();
        recovered.ConsecutiveFailures.Should().Be(0);
        recovered.LastError.Should().BeNull();
        recovered.LastErrorAt.Should().BeNull();
        recovered.LastSuccessAt.Should().NotBeNull().And.BeAfter(failing.LastErrorAt!.Value);
        recovered.RunnerId.Should().Be(Service.RunnerId);
    }

    [Test]
    public async Task RunbookQuery_ShowsThisNodesRunnerRow()
    {
        await Eventually.Until(async () =>
        {
            await using var connection = await TestDatabase.OpenAsync();
            return (await connection.QueryAsync<(string Name, string RunnerId, DateTime LastHeartbeat)>(
                "SELECT name, runner_id, last_heartbeat FROM job_heartbeats ORDER BY last_heartbeat DESC LIMIT 5;")).ToList();
        }, rows => rows.Any(r => r.Name == "jobs-runner" && r.RunnerId == Service.RunnerId && r.LastHeartbeat > DateTime.UtcNow.AddSeconds(-10)),
            TimeSpan.FromSeconds(10), "this node's jobs-runner row");
    }

    [Test]
    public async Task SeedJqFilter_OnReadyz_YieldsTheHeartbeatAgeAsANumber()
    {
        var body = await Service.Client.GetStringAsync("/readyz");

        var output = await JqAsync(""".checks[] | select(.name=="jobs") | .detail.age_seconds""", body);

        double.TryParse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var age).Should().BeTrue($"jq printed '{output}'");
        age.Should().BeInRange(0, 3);
        using var json = JsonDocument.Parse(body);
        var detail = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "jobs").GetProperty("detail");
        detail.GetProperty("runner_id").GetString().Should().Be(Service.RunnerId);
        detail.GetProperty("threshold").GetInt32().Should().Be(3);
    }

    [Test]
    public async Task Readiness_TurnsNotReady_WhenTheSchedulerStopsBeating_AndReadyAgainWhenItResumes()
    {
        var scheduler = await Service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.Standby();
        try
        {
            // The scheduler check fails at once (standby); the jobs check once the heartbeat is older than 3 s.
            var jobs = await Eventually.Until(async () => JobsCheck(await (await Service.Client.GetAsync("/readyz")).Content.ReadAsStringAsync()),
                check => check.GetProperty("status").GetString() == "fail", TimeSpan.FromSeconds(15), "the jobs check to fail");
            (await Service.Client.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            jobs.GetProperty("detail").GetProperty("age_seconds").GetDouble().Should().BeGreaterThanOrEqualTo(3);
            (await Service.Client.GetStringAsync("/metrics")).Should().Contain("job_runner_up{otel_scope_name=\"Scheduler\"} 0");
        }
        finally
        {
            await scheduler.Start();
        }

        await Eventually.Until(() => Service.Client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "readiness to return once the heartbeat resumes");
        (await Service.Client.GetStringAsync("/health")).Should().Contain("healthy");
    }

    [Test]
    public async Task Status_ListsEveryJobType_WithItsHeartbeat_Schedule_AndTypicalDuration()
    {
        StandIns.State.SeedDiscoveries(2);
        await Service.RunAsync(JobTypes.CrawlPending);
        await Service.RunAsync(JobTypes.CrawlPending);
        using var reader = Service.CreateClient(TestTokens.Reader);

        var body = await reader.GetStringAsync("/api/jobs/status");
        var report = JsonSerializer.Deserialize<JobStatusReport>(body)!;

        report.Jobs.Select(j => j.Name).Should().BeEquivalentTo(Scheduler.Jobs.Catalog.JobCatalog.Defaults.Names);
        var crawl = report.Jobs.Single(j => j.Name == JobTypes.CrawlPending);
        crawl.LastSuccessAt.Should().NotBeNull();
        crawl.RunnerId.Should().Be(Service.RunnerId);
        crawl.ConsecutiveFailures.Should().Be(0);
        crawl.TypicalDuration!.Samples.Should().BeGreaterThanOrEqualTo(2);
        crawl.TypicalDuration.P95Seconds.Should().BeGreaterThanOrEqualTo(crawl.TypicalDuration.P50Seconds);
        crawl.Running.Should().BeNull();
        report.Runners.Should().Contain(r => r.RunnerId == Service.RunnerId && !r.Stale);
        using var json = JsonDocument.Parse(body);
        var first = json.RootElement.GetProperty("jobs")[0];
        foreach (var field in (string[])["name", "last_heartbeat", "runner_id", "last_success_at", "consecutive_failures", "last_error", "last_error_at", "next_fire_time", "paused", "running", "typical_duration"])
        {
            first.TryGetProperty(field, out _).Should().BeTrue($"the runbooks read '{field}'");
        }
    }

    [Test]
    public async Task Status_ShowsARunningExecution_WithAnEstimatedCompletion()
    {
        StandIns.State.SeedDiscoveries(1);
        await Service.RunAsync(JobTypes.CrawlPending);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 5_000, Times: 1));
        StandIns.State.SeedDiscoveries(1);
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        var running = await Service.WaitForStatusAsync(id, ExecutionStatus.Running);

        var report = (await Service.Client.GetFromJsonAsync<JobStatusReport>("/api/jobs/status"))!;

        var current = report.Jobs.Single(j => j.Name == JobTypes.CrawlPending).Running!;
        current.Id.Should().Be(id);
        current.EstimatedCompletionAt.Should().NotBeNull().And.BeOnOrAfter(running.StartedAt!.Value);
        await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);
    }

    private static JsonElement JobsCheck(string readiness) =>
        JsonDocument.Parse(readiness).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "jobs").Clone();

    private static async Task<HeartbeatRow> RowAsync(string name)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.QuerySingleAsync<HeartbeatRow>("""
            SELECT runner_id AS RunnerId, last_success_at AS LastSuccessAt, consecutive_failures AS ConsecutiveFailures,
                   last_error AS LastError, last_error_at AS LastErrorAt
              FROM job_heartbeats WHERE name = @name
            """, new { name });
    }

    private static async Task<string> JqAsync(string filter, string input)
    {
        var jq = await Tool.RunAsync("jq", ["-r", filter], "apt-get install -y jq", input);
        jq.ExitCode.Should().Be(0, jq.Output);
        return jq.StandardOutput;
    }

    private sealed record HeartbeatRow(string RunnerId, DateTime? LastSuccessAt, int ConsecutiveFailures, string? LastError, DateTime? LastErrorAt);
}
