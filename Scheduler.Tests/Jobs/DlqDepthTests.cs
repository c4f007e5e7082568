using System.Text.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

/// <summary>
/// <c>dlq_depth</c>: the run records each kind's depth from the core API's listing, and every node exports the latest
/// recorded sample as <c>scheduler_dlq_depth</c>, including a node that did not take it (here, one started after the
/// node that took it has stopped).
/// </summary>
public sealed class DlqDepthTests
{
    /// <summary>A heartbeat every two seconds, so a node picks up the latest sample quickly.</summary>
    private static readonly Dictionary<string, string?> FastHeartbeat = new() { ["Heartbeat:TtlSeconds"] = "8" };

    private StandInApp _standIns = null!;

    [SetUp]
    public async Task StartStandIns()
    {
        await TestDatabase.ResetAsync();
        _standIns = await StandInApp.StartAsync();
    }

    [TearDown]
    public async Task StopStandIns() => await _standIns.DisposeAsync();

    [Test]
    public async Task Run_RecordsEachKindsDepth_FromOneListingCall()
    {
        _standIns.State.AddDeadLetters(DeadLetterKinds.Export, 4);
        await using var node = await ServiceHost.StartAsync(_standIns.BaseUrl, FastHeartbeat);

        var run = await node.RunAsync(JobTypes.DlqDepth);

        run.Status.Should().Be(ExecutionStatus.Completed, run.Error);
        var depth = (JsonElement)run.Result!.Details["depth"]!;
        depth.GetProperty("outbox").GetInt64().Should().Be(2);
        depth.GetProperty("export").GetInt64().Should().Be(5);
        _standIns.State.RequestsTo("GET", "/v1/admin/queue/dlq").Should().ContainSingle().Which.Query.Should().Be("?kind=all&limit=1");
    }

    [Test]
    public async Task Run_Fails_NamingTheCall_WhenTheCoreApiErrs()
    {
        _standIns.State.SetFault("GET", "/v1/admin/queue/dlq", new Fault(Status: 503));
        await using var node = await ServiceHost.StartAsync(_standIns.BaseUrl, FastHeartbeat);

        var run = await node.RunAsync(JobTypes.DlqDepth);

        run.Status.Should().Be(ExecutionStatus.Failed);
        run.Error.Should().Contain("GET /v1/admin/queue/dlq");
    }

    [Test]
    public async Task Gauge_OnANodeThatDidNotTakeTheSample_ShowsTheLatestRecordedDepth()
    {
        _standIns.State.AddDeadLetters(DeadLetterKinds.Outbox, 5);
        await using (var sampler = await ServiceHost.StartAsync(_standIns.BaseUrl, FastHeartbeat))
        {
            (await sampler.RunAsync(JobTypes.DlqDepth)).Status.Should().Be(ExecutionStatus.Completed);
        }

        _standIns.State.ClearDeadLetters();
        await using var other = await ServiceHost.StartAsync(_standIns.BaseUrl, FastHeartbeat);

        var scrape = await Scrape(other, s => s.Contains("scheduler_dlq_depth{", StringComparison.Ordinal));

        scrape.Should().MatchRegex("scheduler_dlq_depth\\{[^}]*kind=\"outbox\"[^}]*\\} 7\\b");
        scrape.Should().MatchRegex("scheduler_dlq_depth\\{[^}]*kind=\"export\"[^}]*\\} 1\\b");
        scrape.Should().MatchRegex("scheduler_dlq_depth_sampled_timestamp_seconds\\{[^}]*\\} [1-9]");
    }

    private static async Task<string> Scrape(ServiceHost node, Func<string, bool> done)
    {
        using var anonymous = node.CreateClient(null);
        return await Eventually.Until(() => anonymous.GetStringAsync("/metrics"), done, TimeSpan.FromSeconds(40), "the node's heartbeat to read the latest sample");
    }
}
