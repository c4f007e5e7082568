using Dapper;
using FluentAssertions;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Cluster;

/// <summary>
/// Two real service processes sharing one database. While both are up, Quartz keeps a
/// single trigger on the node that last fired it (that node re-acquires it the moment its run
/// completes), so the test overlaps the nodes and then stops one, as a rolling deploy does:
/// every occurrence before, during and after the hand-over must be recorded exactly once.
/// </summary>
public sealed class ClusterTests
{
    [Test]
    public async Task TwoNodes_EverySecondCron_AcrossARollingRestart_RecordEachOccurrenceExactlyOnce()
    {
        await TestDatabase.ResetAsync();
        await using var standIns = await StandInApp.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Jobs:crawl_pending:Scheduled"] = "true",
            ["Jobs:crawl_pending:Cron"] = "* * * * * ?",
        };

        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings);
        await Task.Delay(TimeSpan.FromSeconds(4));
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settings);
        await Task.Delay(TimeSpan.FromSeconds(8));
        await nodeA.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(8));
        await nodeB.StopAsync();

        await using var connection = await TestDatabase.OpenAsync();
        var rows = (await connection.QueryAsync<(DateTime ScheduledFor, string RunnerId, string Status)>(
            "SELECT scheduled_for, runner_id, status FROM scheduled_jobs WHERE trigger = 'cron' ORDER BY scheduled_for")).ToList();
        var skippedForAnotherReason = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM scheduled_jobs WHERE status = 'skipped' AND result->'details'->>'failure' <> 'overlap'");
        var diagnostics = $"node-a:\n{nodeA.Output}\nnode-b:\n{nodeB.Output}";

        rows.Should().HaveCountGreaterThanOrEqualTo(15, diagnostics);
        rows.Select(r => r.ScheduledFor).Should().OnlyHaveUniqueItems();
        var span = (int)(rows[^1].ScheduledFor - rows[0].ScheduledFor).TotalSeconds + 1;
        rows.Should().HaveCount(span, "every second between the first and last occurrence is recorded, none missing");
        rows.Select(r => r.RunnerId).Distinct().Should().BeEquivalentTo(["node-a", "node-b"], diagnostics);
        // Each occurrence ran to completion, or, when the machine was slow enough for a run to outlast its second,
        // was recorded skipped because the previous one still ran; none is left running, pending or failed.
        rows.Should().OnlyContain(r => r.Status == "completed" || r.Status == "skipped", "both nodes finished their runs before stopping");
        rows.Count(r => r.Status == "completed").Should().BeGreaterThan(rows.Count / 2, diagnostics);
        skippedForAnotherReason.Should().Be(0);
        foreach (var node in rows.GroupBy(r => r.RunnerId))
        {
            TestContext.Out.WriteLine($"{node.Key}: {node.Count()} occurrences, {node.Min(r => r.ScheduledFor):HH:mm:ss} to {node.Max(r => r.ScheduledFor):HH:mm:ss}");
        }
    }
}
