using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Cluster;

/// <summary>
/// Cross-node behaviour on real service processes sharing one database: a cancel that reaches the
/// other node, a node killed with -9 mid-run, a node stopped with SIGTERM mid-run.
/// </summary>
public sealed class ClusterExecutionTests
{
    /// <summary>Fast detection for the test (leases of 5 s); production keeps Quartz's 7.5 s check-ins and 30 s leases.</summary>
    private static readonly Dictionary<string, string?> FastCluster = Faults.FaultCluster.Settings(TimeSpan.FromSeconds(5));

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task Cancel_SentToTheOtherNode_InterruptsTheRunWhereItRuns_AndAbortsItsCall()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(2);
        standIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 120_000));
        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", FastCluster);
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", FastCluster);

        var id = await TriggerAsync(nodeA, JobTypes.CrawlPending);
        var running = await WaitForAsync(nodeA, id, e => e.Status == ExecutionStatus.Running);
        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/api/crawl/batch").Count), n => n == 1,
            TimeSpan.FromSeconds(20), "the crawl call to be in flight");
        var other = running.RunnerId == nodeA.RunnerId ? nodeB : nodeA;

        var clock = Stopwatch.StartNew();
        using var http = other.CreateClient(TestTokens.AdminAs("ops_anna"));
        using var response = await http.PostAsync($"/api/jobs/{id}/cancel", null);
        var cancelled = await WaitForAsync(other, id, e => e.Status == ExecutionStatus.Cancelled);
        var took = clock.Elapsed;

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        cancelled.RunnerId.Should().Be(running.RunnerId).And.NotBe(other.RunnerId);
        cancelled.Error.Should().Be("cancelled by ops_anna while running");
        var call = standIns.State.RequestsTo("POST", "/api/crawl/batch").Single();
        await Eventually.Until(() => Task.FromResult(call.Aborted), aborted => aborted, TimeSpan.FromSeconds(10), "the call in flight to be aborted");
        TestContext.Out.WriteLine($"cross-node cancel: request on {other.RunnerId} -> cancelled on {running.RunnerId} in {took.TotalMilliseconds:0} ms (check-in interval 1 s)");
    }

    [Test]
    public async Task KillNine_WithSeveralRunsInFlight_EachEndsRunnerLost_AndIsRecoveredExactlyOnce_OnTheOtherNode()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(2);
        // The first call of each run hangs; the recovery's calls go through.
        standIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 120_000, Times: 1));
        standIns.State.SetFault("POST", "/api/interactions/cleanup", new Fault(DelayMs: 120_000, Times: 1));
        standIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(DelayMs: 120_000, Times: 1));
        var doomed = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-doomed", FastCluster);
        var types = new[] { JobTypes.CrawlPending, JobTypes.CleanupOldData, JobTypes.EmailScan };
        var ids = new List<Guid>();
        foreach (var type in types)
        {
            ids.Add(await TriggerAsync(doomed, type));
        }

        foreach (var id in ids)
        {
            await WaitForAsync(doomed, id, e => e.Status == ExecutionStatus.Running);
        }

        await Eventually.Until(() => Task.FromResult(standIns.State.Requests.Count(r => r.Method == "POST")), n => n == 3,
            TimeSpan.FromSeconds(20), "all three calls to be in flight");
        await using var survivor = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-survivor", FastCluster);

        var clock = Stopwatch.StartNew();
        var killedAt = DateTime.UtcNow;
        await doomed.KillAsync();
        var recoveries = await Eventually.Until(() => RecoveriesAsync(ids), rows => rows.Count == 3 && rows.All(r => r.Status == ExecutionStatus.Completed.ToText()),
            TimeSpan.FromSeconds(60), "three completed recoveries");
        var recovered = clock.Elapsed;
        await doomed.DisposeAsync();

        await using var connection = await TestDatabase.OpenAsync();
        var orphans = (await connection.QueryAsync<(Guid Id, string Status, string Error, DateTime CompletedAt)>(
            "SELECT id, status, error, completed_at FROM scheduled_jobs WHERE id = ANY(@ids)", new { ids = ids.ToArray() })).ToList();
        orphans.Should().HaveCount(3).And.OnlyContain(o => o.Status == ExecutionStatus.Failed.ToText() && o.Error.StartsWith("runner lost", StringComparison.Ordinal));
        recoveries.Select(r => r.RetryOf).Should().BeEquivalentTo(ids, "each lost run is re-run exactly once");
        recoveries.Should().OnlyContain(r => r.RunnerId == "node-survivor" && r.Attempt == 2);
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE status IN ('running', 'pending')")).Should().Be(0);
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE trigger = 'recovery'")).Should().Be(3);
        TestContext.Out.WriteLine($"kill -9 -> all 3 recorded runner lost after {(orphans.Max(o => o.CompletedAt) - killedAt).TotalMilliseconds:0} ms, "
            + $"first recovery started after {(recoveries.Min(r => r.CreatedAt) - killedAt).TotalMilliseconds:0} ms, all 3 completed after {recovered.TotalMilliseconds:0} ms "
            + "(check-in 1 s, check-in misfire threshold 2 s, lease renewal 1 s)");
    }

    [Test]
    public async Task Sigterm_DuringARun_RecordsItCancelledForShutdown_AndTheOtherNodeFinishesIt()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(2);
        standIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 120_000, Times: 1));
        await using var leaving = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-leaving", FastCluster);
        var id = await TriggerAsync(leaving, JobTypes.CrawlPending);
        await WaitForAsync(leaving, id, e => e.Status == ExecutionStatus.Running);
        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/api/crawl/batch").Count), n => n == 1,
            TimeSpan.FromSeconds(20), "the crawl call to be in flight");
        await using var staying = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-staying", FastCluster);

        await leaving.StopAsync();

        var recovery = await Eventually.Until(() => RecoveriesAsync([id]), rows => rows.Count == 1 && rows[0].Status == ExecutionStatus.Completed.ToText(),
            TimeSpan.FromSeconds(60), "the recovery to complete on the other node");
        var interrupted = await WaitForAsync(staying, id, _ => true);
        interrupted.Status.Should().Be(ExecutionStatus.Cancelled, leaving.Output);
        interrupted.Error.Should().Be("cancelled: its node shut down before the run finished");
        recovery[0].RunnerId.Should().Be("node-staying");
        leaving.Output.Should().Contain("interrupting 1 execution(s) still running");
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE status IN ('running', 'pending')")).Should().Be(0);
    }

    private static async Task<Guid> TriggerAsync(ServiceProcess node, string jobType)
    {
        using var http = node.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/jobs/trigger", new { jobType });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
    }

    private static async Task<JobExecution> WaitForAsync(ServiceProcess node, Guid id, Func<JobExecution, bool> done)
    {
        using var http = node.CreateClient(TestTokens.Reader);
        return await Eventually.Until(async () => (await http.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!,
            done, TimeSpan.FromSeconds(30), $"execution {id} on {node.RunnerId}");
    }

    private static async Task<IReadOnlyList<RecoveryRow>> RecoveriesAsync(IReadOnlyCollection<Guid> orphans)
    {
        await using var connection = await TestDatabase.OpenAsync();
        var rows = await connection.QueryAsync<RecoveryRow>("""
            SELECT id AS Id, retry_of AS RetryOf, status AS Status, runner_id AS RunnerId, attempt AS Attempt, created_at AS CreatedAt
              FROM scheduled_jobs WHERE trigger = 'recovery' AND retry_of = ANY(@orphans)
            """, new { orphans = orphans.ToArray() });
        return [.. rows];
    }

    private sealed record RecoveryRow(Guid Id, Guid RetryOf, string Status, string RunnerId, int Attempt, DateTime CreatedAt);
}
