using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

public sealed class TriggerJobTests : ServiceFixture
{
    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task Trigger_CrawlPending_GoesPendingRunningCompleted_WithTheCrawlersCounts()
    {
        StandIns.State.SeedDiscoveries(7, failEvery: 3);
        // Slow the first downstream call so the running state can be seen.
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 1500, Times: 1));

        using var testUser = Service.CreateClient(TestTokens.AdminAs("test_user"));
        var response = await testUser.PostAsJsonAsync("/api/jobs/trigger", new { jobType = "crawl_pending", triggeredBy = "test_user" });

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        accepted.Status.Should().Be(ExecutionStatus.Pending);
        accepted.JobId.Should().Be(accepted.Id);
        response.Headers.Location!.ToString().Should().Be($"/api/jobs/{accepted.Id}");

        var running = await Service.WaitForStatusAsync(accepted.Id, ExecutionStatus.Running);
        running.StartedAt.Should().NotBeNull();
        running.RunnerId.Should().Be(Service.RunnerId);

        var done = await Service.WaitForStatusAsync(accepted.Id, ExecutionStatus.Completed);
        done.Trigger.Should().Be(ExecutionTrigger.Manual);
        done.StartedBy.Should().Be("test_user");
        done.CompletedAt.Should().BeOnOrAfter(done.StartedAt!.Value);
        done.UpdatedAt.Should().BeAfter(done.CreatedAt);
        done.Error.Should().BeNull();
        done.Result!.Success.Should().BeTrue();
        done.Result.ItemsProcessed.Should().Be(7);
        done.Result.Errors.Should().Equal("d-6: fetch failed: 404", "d-3: fetch failed: 404");
        Number(done.Result.Details["successfulCrawls"]).Should().Be(5);
        Number(done.Result.Details["failedCrawls"]).Should().Be(2);
        done.Result.Details.Should().ContainKey("duration");

        // One page of pending discoveries, then an empty one that ends the run.
        StandIns.State.RequestsTo("GET", "/api/discoveries").Select(r => r.Query)
            .Should().Equal("?crawlStatus=pending&limit=100", "?crawlStatus=pending&limit=100");
        var batch = StandIns.State.RequestsTo("POST", "/api/crawl/batch").Should().ContainSingle().Subject;
        using var body = JsonDocument.Parse(batch.Body);
        body.RootElement.GetProperty("discoveries").EnumerateArray().Select(d => d.GetProperty("id").GetString())
            .Should().Equal("d-1", "d-2", "d-3", "d-4", "d-5", "d-6", "d-7");
    }

    [Test]
    public async Task Trigger_WhenTheDiscoveryServiceFails_RecordsFailedNamingServiceAndStatus()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));

        var id = await TriggerAsync();
        var failed = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        failed.Error.Should().Be("discovery service answered 500 InternalServerError to GET /api/discoveries");
        failed.Result!.Success.Should().BeFalse();
        failed.CompletedAt.Should().NotBeNull();
        StandIns.State.RequestsTo("POST", "/api/crawl/batch").Should().BeEmpty();
    }

    [Test]
    public async Task Trigger_WithNothingPending_CompletesAndSaysSo()
    {
        var id = await TriggerAsync();
        var done = await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        done.Result!.ItemsProcessed.Should().Be(0);
        done.Result.Details["note"]!.ToString().Should().Be("no pending discoveries");
        StandIns.State.RequestsTo("POST", "/api/crawl/batch").Should().BeEmpty();
    }

    [Test]
    public async Task Trigger_WithParameters_StoresThemWithTheExecution()
    {
        var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger",
            new { jobType = "crawl_pending", parameters = new { batchSize = 25 } });
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;

        await using var connection = await TestDatabase.OpenAsync();
        var stored = await connection.ExecuteScalarAsync<string>("SELECT parameters->>'batchSize' FROM scheduled_jobs WHERE id = @id", new { id });
        stored.Should().Be("25");
        await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);
    }

    private async Task<Guid> TriggerAsync()
    {
        var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = "crawl_pending" });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
    }

    private static long Number(object? value) => ((JsonElement)value!).GetInt64();
}
