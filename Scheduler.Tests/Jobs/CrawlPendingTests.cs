using System.Text.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

public sealed class CrawlPendingTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:crawl_pending:BatchSize"] = "3",
        ["Jobs:crawl_pending:MaxBatchesPerRun"] = "4",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task CrawlPending_SendsBatchesUntilNonePending_EachWithItsOwnIdempotencyKey()
    {
        StandIns.State.SeedDiscoveries(8, failEvery: 4);

        var done = await Service.RunAsync(JobTypes.CrawlPending);

        done.Status.Should().Be(ExecutionStatus.Completed);
        var batches = StandIns.State.RequestsTo("POST", "/api/crawl/batch");
        batches.Select(b => string.Join(",", Ids(b.Body))).Should().Equal("d-1,d-2,d-3", "d-4,d-5,d-6", "d-7,d-8");
        batches.Select(b => b.Headers["Idempotency-Key"]).Should().Equal(
            $"crawl_pending:{done.Id}:batch-1", $"crawl_pending:{done.Id}:batch-2", $"crawl_pending:{done.Id}:batch-3");
        StandIns.State.RequestsTo("GET", "/api/discoveries").Should().HaveCount(4, "three batches, then one empty answer")
            .And.OnlyContain(r => r.Query == "?crawlStatus=pending&limit=3");
        done.Result!.ItemsProcessed.Should().Be(8);
        Number(done.Result.Details["successfulCrawls"]).Should().Be(6);
        Number(done.Result.Details["failedCrawls"]).Should().Be(2);
        Number(done.Result.Details["batches"]).Should().Be(3);
        done.Result.Errors.Should().Equal("d-8: fetch failed: 404", "d-4: fetch failed: 404");
    }

    [Test]
    public async Task CrawlPending_StopsAtThePerRunCap_AndSaysSo()
    {
        StandIns.State.SeedDiscoveries(20);

        var done = await Service.RunAsync(JobTypes.CrawlPending);

        done.Status.Should().Be(ExecutionStatus.Completed);
        StandIns.State.RequestsTo("POST", "/api/crawl/batch").Should().HaveCount(4);
        done.Result!.ItemsProcessed.Should().Be(12);
        done.Result.Details["note"]!.ToString().Should().Contain("per-run cap of 4 batches");
        StandIns.State.PendingDiscoveries(100).Discoveries.Should().HaveCount(8, "what is over the cap waits for the next run");
    }

    [Test]
    public async Task CrawlPending_CrawlerFailsOnALaterBatch_FailsNamingServiceAndStatus_AndKeepsTheCountsSoFar()
    {
        StandIns.State.SeedDiscoveries(6);
        // The first batch goes through; from the second on the crawler answers 500, every retry included.
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(Status: 500, After: 1));

        var failed = await Service.RunAsync(JobTypes.CrawlPending);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("crawler service answered 500 InternalServerError to POST /api/crawl/batch");
        failed.Result!.Success.Should().BeFalse();
        failed.Result.Errors[0].Should().Be(failed.Error);
        Number(failed.Result.Details["successfulCrawls"]).Should().Be(3, "the first batch's counts are kept");
        Number(failed.Result.Details["batches"]).Should().Be(1);
        StandIns.State.RequestsTo("POST", "/api/crawl/batch").Should().HaveCount(4, "one good batch, then the failing one tried 1 + 2 times (Services:Crawler:MaxRetries)");
    }

    [Test]
    public async Task CrawlPending_CrawlerFailsOnceThenRecovers_RetriesTheBatchWithTheSameKey()
    {
        StandIns.State.SeedDiscoveries(2);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(Status: 503, Times: 1));

        var done = await Service.RunAsync(JobTypes.CrawlPending);

        done.Status.Should().Be(ExecutionStatus.Completed);
        var attempts = StandIns.State.RequestsTo("POST", "/api/crawl/batch");
        attempts.Should().HaveCount(2);
        attempts.Select(a => a.Headers["Idempotency-Key"]).Distinct().Should().ContainSingle()
            .Which.Should().Be($"crawl_pending:{done.Id}:batch-1");
        attempts.Select(a => a.Body).Distinct().Should().ContainSingle("the retry sends the same batch");
    }

    private static string[] Ids(string body)
    {
        using var json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("discoveries").EnumerateArray().Select(d => d.GetProperty("id").GetString()!)];
    }

    private static long Number(object? value) => ((JsonElement)value!).GetInt64();
}
