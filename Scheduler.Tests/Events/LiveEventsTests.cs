using System.Net.Http.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Events;

/// <summary>Live updates across real processes: an event raised on one node reaches the clients of the other, and a reconnect resumes without loss.</summary>
public sealed class LiveEventsTests
{
    private static readonly Dictionary<string, string?> Scheduled = new() { ["Jobs:weekly_digest:Scheduled"] = "true" };

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task EventsRaisedOnOneNode_ReachTheOtherNodesClients_InOrder_AndAReconnectResumesWithoutLoss()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(3);
        standIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 1500, Times: 1));
        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Scheduled);
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Scheduled);
        using var watcher = nodeB.CreateClient(TestTokens.Reader);
        using var admin = nodeA.CreateClient();
        await using var live = SseClient.Open(watcher);
        await Task.Delay(500); // the stream is open before the first change

        using var triggered = await admin.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        var id = (await triggered.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        var created = await live.NextAsync(e => e.ExecutionId == id && e.Kind == "created", TimeSpan.FromSeconds(15), "created");
        var started = await live.NextAsync(e => e.ExecutionId == id && e.Kind == "started", TimeSpan.FromSeconds(15), "started");
        var finished = await live.NextAsync(e => e.ExecutionId == id && e.Kind == "finished", TimeSpan.FromSeconds(30), "finished");
        (await admin.PostAsJsonAsync("/api/schedules/weekly_digest/pause", new { reason = "freeze" })).EnsureSuccessStatusCode();
        var paused = await live.NextAsync(e => e.Type == "schedule" && e.Kind == "paused", TimeSpan.FromSeconds(15), "schedule paused");

        created.Id.Should().BeLessThan(started.Id);
        started.Id.Should().BeLessThan(finished.Id);
        finished.Data.GetProperty("execution").GetProperty("status").GetString().Should().Be(ExecutionStatus.Completed.ToText());
        paused.Data.GetProperty("jobType").GetString().Should().Be(JobTypes.WeeklyDigest);

        // A client that dropped after 'created' gets the rest on reconnecting, from the node it reconnects to.
        await using var resumed = SseClient.Open(nodeA.CreateClient(TestTokens.Reader), lastEventId: created.Id);
        var replayed = new[]
        {
            await resumed.NextAsync(e => e.ExecutionId == id && e.Kind != "progressed", TimeSpan.FromSeconds(10), "the missed started"),
            await resumed.NextAsync(e => e.ExecutionId == id && e.Kind != "progressed", TimeSpan.FromSeconds(10), "the missed finished"),
        };
        replayed.Select(e => e.Kind).Should().Equal("started", "finished");
        (await resumed.NextAsync(e => e.Type == "schedule", TimeSpan.FromSeconds(10), "the missed pause")).Kind.Should().Be("paused");
    }
}
