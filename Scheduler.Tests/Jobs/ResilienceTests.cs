using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

/// <summary>Timeouts and the circuit breaker, with settings tight enough to see them in seconds.</summary>
public sealed class ResilienceTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Services:Crawler:AttemptTimeout"] = "00:00:00.5",
        ["Services:Crawler:TotalTimeout"] = "00:00:03",
        ["Services:Crawler:MaxRetries"] = "1",
        ["Services:CoreApi:MaxRetries"] = "1",
        ["Services:CoreApi:BreakMinimumThroughput"] = "3",
        ["Services:CoreApi:BreakFailureRatio"] = "0.5",
        ["Services:CoreApi:BreakDuration"] = "00:01:00",
        ["Jobs:cleanup_old_data:Timeout"] = "00:00:01",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task SlowCrawler_EachAttemptIsAbandonedAtItsTimeout_AndTheRunFailsNamingTheService()
    {
        StandIns.State.SeedDiscoveries(2);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 20_000));

        var failed = await Service.RunAsync(JobTypes.CrawlPending);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("crawler service did not answer POST /api/crawl/batch within 0.5s");
        var attempts = StandIns.State.RequestsTo("POST", "/api/crawl/batch");
        attempts.Should().HaveCount(2, "one attempt and one retry");
        await Eventually.Until(() => Task.FromResult(attempts.All(a => a.Aborted)), all => all, TimeSpan.FromSeconds(5),
            "the crawler to see both attempts abandoned");
    }

    [Test]
    public async Task RunPastItsTimeout_IsInterrupted_AbortsTheCallInFlight_AndFailsAsATimeout()
    {
        StandIns.State.SetFault("POST", "/api/interactions/cleanup", new Fault(DelayMs: 20_000));

        var failed = await Service.RunAsync(JobTypes.CleanupOldData);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("timed out after 1s");
        var call = StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().ContainSingle().Subject;
        await Eventually.Until(() => Task.FromResult(call.Aborted), aborted => aborted, TimeSpan.FromSeconds(5), "the call in flight to be aborted");
        StandIns.State.RequestsTo("POST", "/api/discoveries/trending/recalculate").Should().BeEmpty("a timed-out run stops");
    }

    [Test]
    public async Task FailingCoreApi_OpensTheCircuit_AndLaterRunsFailFastWithoutCallingIt()
    {
        StandIns.State.SetFault("POST", "/v1/admin/outbox/dead-letter", new Fault(Status: 503));

        var first = await Service.RunAsync(JobTypes.OutboxDlqReplay);
        var second = await Service.RunAsync(JobTypes.OutboxDlqReplay);
        var third = await Service.RunAsync(JobTypes.OutboxDlqReplay);

        first.Error.Should().Be("core API service answered 503 ServiceUnavailable to POST /v1/admin/outbox/dead-letter");
        // Two attempts in the first run, the third attempt opens the circuit, its retry is refused.
        second.Error.Should().Be("core API service circuit is open after repeated failures; POST /v1/admin/outbox/dead-letter was not sent");
        third.Error.Should().Be(second.Error);
        new[] { first, second, third }.Should().OnlyContain(r => r.Status == ExecutionStatus.Failed);
        StandIns.State.RequestsTo("POST", "/v1/admin/outbox/dead-letter").Should().HaveCount(3, "an open circuit sends nothing");
    }
}
