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

    [Test]
    public async Task ARunInFlight_WhenTheOutageOutlastsItsLease_IsNotTakenOver_AndItsOutcomeIsWritten()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(DelayMs: 12_000, Times: 1));
        // The lease (8 s) runs out by the clock during the outage (20 s): only the reconnect grace keeps the other node,
        // back on the database at the same moment, from ending a run whose owner is alive and about to renew.
        var lease = TimeSpan.FromSeconds(8);
        var settings = FaultCluster.Settings(lease, new Dictionary<string, string?> { ["ConnectionStrings:Scheduler"] = database.ConnectionString });
        var starting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];
        var scan = await FaultCluster.TriggerAsync(nodeA, JobTypes.EmailScan);
        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/v1/admin/email-scan").Count), n => n == 1,
            TimeSpan.FromSeconds(20), "the held call to be in flight");

        await database.StopAsync();
        await Task.Delay(lease * 2.5 * FaultCluster.Scale);
        await database.StartAgainAsync();
        var back = Stopwatch.StartNew();

        var scanned = await FaultCluster.WaitForAsync(nodeB, scan, e => e.Status is not (ExecutionStatus.Running or ExecutionStatus.Pending), TimeSpan.FromSeconds(30));
        var written = back.Elapsed;
        // Several sweeps, renewals and check-ins later, still nothing taken over.
        await Task.Delay(TimeSpan.FromSeconds(5));

        scanned.Status.Should().Be(ExecutionStatus.Completed, nodeA.Output + nodeB.Output);
        await using (var connection = await database.OpenAsync())
        {
            (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE trigger = 'recovery' OR error LIKE 'runner lost%'")).Should().Be(0);
        }

        standIns.State.RequestsTo("POST", "/v1/admin/email-scan").Should().HaveCount(1, "the scan ran once");
        TestContext.Out.WriteLine($"database stopped {(lease * 2.5 * FaultCluster.Scale).TotalSeconds:0} s, lease {lease.TotalSeconds:0} s: not taken over, "
            + $"outcome written {written.TotalMilliseconds:0} ms after the database was back");
    }

    [Test]
    public async Task AnOutcomeWaitingForTheDatabase_AtShutdown_IsStillWritten_WhenTheDatabaseReturnsWithinTheShutdownWindow()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(DelayMs: 4_000, Times: 1));
        var settings = FaultCluster.Settings(TimeSpan.FromSeconds(40), new Dictionary<string, string?> { ["ConnectionStrings:Scheduler"] = database.ConnectionString });
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings);
        var scan = await FaultCluster.TriggerAsync(node, JobTypes.EmailScan);
        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/v1/admin/email-scan").Count), n => n == 1,
            TimeSpan.FromSeconds(20), "the held call to be in flight");
        await database.StopAsync();
        await Eventually.Until(() => Task.FromResult(node.Output), output => Occurrences(output, "keeping the outcome and trying again") == 1,
            TimeSpan.FromSeconds(20), "the outcome to wait for the database");

        // SIGTERM: 2 s of grace for running work, then the waiting outcome is tried for 15 s more; the database is back after 6 s.
        var stopping = node.StopAsync();
        var shutdown = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(6));
        await database.StartAgainAsync();
        await stopping;
        var exited = shutdown.Elapsed;

        node.Output.Should().Contain($"Execution {scan}: its completed outcome, kept while the database could not be reached, is written");
        await using var connection = await database.OpenAsync();
        (await connection.ExecuteScalarAsync<string>("SELECT status FROM scheduled_jobs WHERE id = @scan", new { scan })).Should().Be(ExecutionStatus.Completed.ToText());
        TestContext.Out.WriteLine($"SIGTERM with an outcome waiting, database back 6 s later: outcome written, node exited {exited.TotalMilliseconds:0} ms after SIGTERM");
    }

    /// <summary>How many log lines say <paramref name="what"/>.</summary>
    private static int Occurrences(string output, string what) =>
        output.Split('\n').Count(line => line.Contains(what, StringComparison.Ordinal));
}
