using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Events;

/// <summary>Per-run logs (kept with the execution, bounded) and progress reported by a job.</summary>
public sealed class RunLogAndProgressTests : ServiceFixture
{
    [Test]
    public async Task ARunsLog_HoldsWhatItLogged_AndIsReadableByReaders()
    {
        StandIns.State.SeedDiscoveries(2);
        var done = await Service.RunAsync(JobTypes.CrawlPending);
        using var reader = Service.CreateClient(TestTokens.Reader);

        var log = (await reader.GetFromJsonAsync<ExecutionLog>($"/api/jobs/{done.Id}/logs"))!;

        log.ExecutionId.Should().Be(done.Id);
        log.Truncated.Should().BeFalse();
        log.Lines.Should().Contain(l => l.Message.Contains("/api/crawl/batch", StringComparison.Ordinal), "the job's downstream calls were logged");
        log.Lines.Should().Contain(l => l.Message.StartsWith("crawl_pending ended completed", StringComparison.Ordinal));
        log.Lines.Should().NotContain(l => l.Message.Contains("(null)", StringComparison.Ordinal));
        log.Lines.Select(l => l.At).Should().BeInAscendingOrder();
        (await reader.GetAsync($"/api/jobs/{Guid.NewGuid()}/logs")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task ALongLog_IsCutAtItsBound_AndSaysSo()
    {
        StandIns.State.SeedDiscoveries(400);

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger",
            new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 1, maxBatches = 400 } });
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await Service.WaitForStatusAsync(id, ExecutionStatus.Completed, TimeSpan.FromSeconds(90));
        var log = (await Service.Client.GetFromJsonAsync<ExecutionLog>($"/api/jobs/{id}/logs"))!;

        log.Truncated.Should().BeTrue();
        log.Lines.Should().HaveCount(501);
        log.Lines[^1].Message.Should().StartWith("log truncated");
    }

    [Test]
    public async Task AJobsProgress_ShowsOnTheExecution_WhileItRuns()
    {
        StandIns.State.SeedDiscoveries(6);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new StandIns.Fault(DelayMs: 1500, After: 1, Times: 1));

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger",
            new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 2, maxBatches = 10 } });
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        var midway = await Eventually.Until(() => Service.GetExecutionAsync(id), e => e.Progress is not null || e.Status != ExecutionStatus.Running && e.Status != ExecutionStatus.Pending,
            TimeSpan.FromSeconds(20), "progress while running");
        await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        midway.Status.Should().Be(ExecutionStatus.Running);
        midway.Progress!.Value.GetProperty("percent").GetInt32().Should().Be(10);
        midway.Progress.Value.GetProperty("message").GetString().Should().Contain("1 batch(es) sent");
    }
}
