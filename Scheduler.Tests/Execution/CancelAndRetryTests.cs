using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

public sealed class CancelAndRetryTests : ServiceFixture
{
    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task Cancel_APendingRun_EndsItCancelled_AndItNeverRuns()
    {
        var id = await InsertPendingAsync(JobTypes.CrawlPending);

        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));
        using var response = await anna.PostAsJsonAsync($"/api/jobs/{id}/cancel", new { reason = "not today" });
        await SubmitDirectlyAsync(JobTypes.CrawlPending, id);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var cancelled = (await response.Content.ReadFromJsonAsync<JobExecution>())!;
        cancelled.Status.Should().Be(ExecutionStatus.Cancelled);
        cancelled.CancelledBy.Should().Be("ops_anna");
        cancelled.Error.Should().Be("cancelled by ops_anna before it ran");
        var submitter = Service.Services.GetRequiredService<ExecutionSubmitter>();
        await Eventually.Until(() => submitter.IsSubmittedAsync(id, CancellationToken.None), submitted => !submitted,
            TimeSpan.FromSeconds(20), "its trigger to fire and be gone");
        var after = await Service.GetExecutionAsync(id);
        after.Status.Should().Be(ExecutionStatus.Cancelled);
        after.StartedAt.Should().BeNull();
        StandIns.State.Requests.Should().BeEmpty("the job body never ran");
    }

    [Test]
    public async Task Cancel_ARunningRun_InterruptsIt_AbortsTheCallInFlight_AndRecordsWho()
    {
        StandIns.State.SeedDiscoveries(3);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 30_000));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        await Eventually.Until(() => Task.FromResult(StandIns.State.RequestsTo("POST", "/api/crawl/batch").Count), n => n == 1,
            TimeSpan.FromSeconds(20), "the crawl call to be in flight");

        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));
        using var response = await anna.PostAsync($"/api/jobs/{id}/cancel", null);
        var cancelled = await Service.WaitForStatusAsync(id, ExecutionStatus.Cancelled);

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        cancelled.Error.Should().Be("cancelled by ops_anna while running");
        cancelled.CancelledBy.Should().Be("ops_anna");
        cancelled.CancelRequestedAt.Should().NotBeNull();
        ((System.Text.Json.JsonElement)cancelled.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.Cancelled.ToText());
        var call = StandIns.State.RequestsTo("POST", "/api/crawl/batch").Single();
        await Eventually.Until(() => Task.FromResult(call.Aborted), aborted => aborted, TimeSpan.FromSeconds(5), "the crawl call to be aborted");
    }

    [Test]
    public async Task Cancel_AFinishedRun_Answers409_AndAnUnknownOne404()
    {
        var done = await Service.RunAsync(JobTypes.CrawlPending);

        using var finished = await Service.Client.PostAsync($"/api/jobs/{done.Id}/cancel", null);
        using var unknown = await Service.Client.PostAsync($"/api/jobs/{Guid.NewGuid()}/cancel", null);

        finished.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await finished.Content.ReadAsStringAsync()).Should().Contain("is completed");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Service.GetExecutionAsync(done.Id)).Status.Should().Be(ExecutionStatus.Completed);
    }

    [Test]
    public async Task Retry_AFailedRun_StartsANewExecutionLinkedToIt_WithTheNextAttempt()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));
        var failed = await Service.RunAsync(JobTypes.CrawlPending);
        StandIns.State.ClearFault("GET", "/api/discoveries");

        using var ben = Service.CreateClient(TestTokens.AdminAs("ops_ben"));
        using var response = await ben.PostAsync($"/api/jobs/{failed.Id}/retry", null);
        var retryId = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        var retried = await Service.WaitForStatusAsync(retryId, ExecutionStatus.Completed);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        response.Headers.Location!.ToString().Should().Be($"/api/jobs/{retryId}");
        retried.RetryOf.Should().Be(failed.Id);
        retried.RootId.Should().Be(failed.Id);
        retried.Attempt.Should().Be(2);
        retried.Trigger.Should().Be(ExecutionTrigger.Retry);
        retried.StartedBy.Should().Be("ops_ben");
    }

    [Test]
    public async Task Retry_ACompletedRun_Answers409_AndAFailedRunRetriedAlready409NamingTheRetry()
    {
        var completed = await Service.RunAsync(JobTypes.CrawlPending);
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500, Times: 4));
        var failed = await Service.RunAsync(JobTypes.CrawlPending);
        using var first = await Service.Client.PostAsync($"/api/jobs/{failed.Id}/retry", null);
        var firstRetry = (await first.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await Eventually.Until(() => Service.GetExecutionAsync(firstRetry), e => e.CompletedAt is not null, TimeSpan.FromSeconds(20), "the retry to finish");

        using var ofCompleted = await Service.Client.PostAsync($"/api/jobs/{completed.Id}/retry", null);
        using var again = await Service.Client.PostAsync($"/api/jobs/{failed.Id}/retry", null);
        using var unknown = await Service.Client.PostAsync($"/api/jobs/{Guid.NewGuid()}/retry", null);

        ofCompleted.StatusCode.Should().Be(HttpStatusCode.Conflict);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.Content.ReadAsStringAsync()).Should().Contain(firstRetry.ToString());
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private static async Task<Guid> InsertPendingAsync(string jobType)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<Guid>(
            "INSERT INTO scheduled_jobs (job_type, status, trigger, started_by) VALUES (@jobType, 'pending', 'manual', 'test') RETURNING id",
            new { jobType });
    }

    private async Task SubmitDirectlyAsync(string jobType, Guid id)
    {
        var catalog = Service.Services.GetRequiredService<JobCatalog>();
        catalog.TryGet(jobType, out var definition);
        await Service.Services.GetRequiredService<ExecutionSubmitter>().SubmitAsync(definition, id, null, CancellationToken.None);
    }
}
