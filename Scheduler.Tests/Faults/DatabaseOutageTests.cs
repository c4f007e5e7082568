using System.Diagnostics;
using System.Net;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Faults;

/// <summary>
/// PostgreSQL stopped (<c>pg_ctl -m fast stop</c>) for 30 s under two live nodes while two runs are in flight: the runs
/// finish during the outage, their outcomes are kept and written once the database is back, nothing is re-run and the
/// types are free again. Meanwhile the nodes stay alive (<c>/health</c> 200), report not ready (<c>/readyz</c> 503) and
/// answer the API with 503 problem details.
/// </summary>
public sealed class DatabaseOutageTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30 * FaultCluster.Scale);

    [Test]
    public async Task RunsInFlight_WhenTheDatabaseStops30s_RecordTheirTrueOutcomes_AndNothingIsReRun()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(3);
        standIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 12_000, Times: 1));
        standIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(DelayMs: 12_000, Times: 1));
        // A lease longer than the outage: the runs need no renewal to make their calls. Takeover is also held back
        // after the outage by the reconnect grace, whatever the lease.
        var settings = FaultCluster.Settings(Outage + TimeSpan.FromSeconds(10), new Dictionary<string, string?> { ["ConnectionStrings:Scheduler"] = database.ConnectionString });
        var starting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];

        var crawl = await FaultCluster.TriggerAsync(nodeA, JobTypes.CrawlPending);
        var scan = await FaultCluster.TriggerAsync(nodeB, JobTypes.EmailScan);
        await Eventually.Until(() => Task.FromResult(standIns.State.Requests.Count(r => r.Method == "POST")), n => n == 2,
            TimeSpan.FromSeconds(20), "both held calls to be in flight");

        await database.StopAsync();
        var outage = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var anonymous = new HttpClient { BaseAddress = new Uri(nodeA.BaseUrl) };
        using var health = await anonymous.GetAsync("/health");
        using var ready = await anonymous.GetAsync("/readyz");
        using var api = nodeA.CreateClient(TestTokens.Reader);
        using var read = await api.GetAsync($"/api/jobs/{crawl}");
        var readBody = await read.Content.ReadAsStringAsync();

        // Both held calls end during the outage; the runs finish with no database to write to.
        await Eventually.Until(() => Task.FromResult(nodeA.Output + nodeB.Output),
            output => Occurrences(output, "keeping the outcome and trying again") == 2, TimeSpan.FromSeconds(25), "both outcomes to wait for the database");
        await Task.Delay(Outage - outage.Elapsed);
        await database.StartAgainAsync();
        var back = Stopwatch.StartNew();

        var crawled = await FaultCluster.WaitForAsync(nodeA, crawl, e => e.Status is not (ExecutionStatus.Running or ExecutionStatus.Pending), TimeSpan.FromSeconds(30 * FaultCluster.Scale));
        var scanned = await FaultCluster.WaitForAsync(nodeA, scan, e => e.Status is not (ExecutionStatus.Running or ExecutionStatus.Pending), TimeSpan.FromSeconds(30));
        var written = back.Elapsed;
        // Long enough for a wrong takeover to show: several lease renewals, cluster check-ins and supervisor sweeps.
        await Task.Delay(TimeSpan.FromSeconds(5));

        health.StatusCode.Should().Be(HttpStatusCode.OK);
        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        read.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, readBody);
        read.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        crawled.Status.Should().Be(ExecutionStatus.Completed, nodeA.Output + nodeB.Output);
        crawled.Result!.ItemsProcessed.Should().Be(3);
        scanned.Status.Should().Be(ExecutionStatus.Completed, nodeA.Output + nodeB.Output);
        await using (var connection = await database.OpenAsync())
        {
            (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs")).Should().Be(2, "nothing was re-run or recorded twice");
            (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE trigger = 'recovery' OR error LIKE 'runner lost%'")).Should().Be(0);
        }

        standIns.State.RequestsTo("POST", "/api/crawl/batch").Should().HaveCount(1, "the crawl ran once");
        standIns.State.RequestsTo("POST", "/v1/admin/email-scan").Should().HaveCount(1, "the scan ran once");
        // Neither type is left blocked.
        var again = await FaultCluster.TriggerAsync(nodeB, JobTypes.EmailScan);
        (await FaultCluster.WaitForAsync(nodeB, again, e => e.Status == ExecutionStatus.Completed)).Status.Should().Be(ExecutionStatus.Completed);
        TestContext.Out.WriteLine($"database stopped {Outage.TotalSeconds:0} s with 2 runs in flight: 0 lost, 0 doubled, 0 stuck; "
            + $"both true outcomes written {written.TotalMilliseconds:0} ms after the database was back");
    }

    /// <summary>How many log lines say <paramref name="what"/>.</summary>
    private static int Occurrences(string output, string what) =>
        output.Split('\n').Count(line => line.Contains(what, StringComparison.Ordinal));
}
