using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Cluster;

/// <summary>A run for later belongs to the cluster, not to the node that took the request: real processes on one database.</summary>
public sealed class ClusterDelayedRunTests
{
    private static readonly Dictionary<string, string?> FastCluster = Faults.FaultCluster.Settings(TimeSpan.FromSeconds(5));

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task ScheduledRun_FiresOnTheOtherNode_WhenTheNodeThatTookTheRequestIsKilledBeforeItIsDue()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(2);
        await using var taker = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-taker", FastCluster);
        await using var other = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-other", FastCluster);

        using var http = taker.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending, delay = "PT8S" });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        await taker.KillAsync();

        using var reader = other.CreateClient(TestTokens.Reader);
        var done = await Eventually.Until(async () => (await reader.GetFromJsonAsync<JobExecution>($"/api/jobs/{accepted.Id}"))!,
            e => e.Status is ExecutionStatus.Completed or ExecutionStatus.Failed or ExecutionStatus.Skipped or ExecutionStatus.Cancelled,
            TimeSpan.FromSeconds(90), $"scheduled execution {accepted.Id} to run on {other.RunnerId}");

        accepted.Status.Should().Be(ExecutionStatus.Scheduled);
        done.Status.Should().Be(ExecutionStatus.Completed, other.Output);
        done.RunnerId.Should().Be("node-other");
        done.StartedAt.Should().BeOnOrAfter(accepted.ScheduledFor!.Value);
        standIns.State.RequestsTo("POST", "/api/crawl/batch").Should().ContainSingle("it ran once, on the node still up");
    }
}
