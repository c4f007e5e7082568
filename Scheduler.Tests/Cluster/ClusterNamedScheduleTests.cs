using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Faults;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Cluster;

/// <summary>
/// Named schedules across real processes sharing one store: an interval fires once per occurrence whichever node
/// fires it, a schedule created on one node fires on another and survives both nodes' restart, and each misfire
/// policy does what it says once a node has been stopped through three occurrences.
/// </summary>
public sealed class ClusterNamedScheduleTests
{
    private static Dictionary<string, string?> Settings(IDictionary<string, string?>? more = null)
    {
        var settings = FaultCluster.Settings(TimeSpan.FromSeconds(20), new Dictionary<string, string?>
        {
            ["Schedules:MinimumInterval"] = "00:00:01",
            // A firing this late counts as missed and its schedule's misfire policy applies.
            ["Scheduler:MisfireThreshold"] = "00:00:01",
        });
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    private static async Task CreateAsync(ServiceProcess node, object schedule)
    {
        using var http = node.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/schedules", schedule);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static DateTimeOffset WholeSecondsFromNow(int seconds)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(seconds);
    }

    [Test]
    public async Task AnIntervalOfTwoSeconds_FiresOnEveryOccurrenceAcrossTwoNodes_NoneLostNoneDoubled_Over30Seconds()
    {
        await using var standIns = await StandInApp.StartAsync();
        var starting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings()), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Settings()) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];
        var start = WholeSecondsFromNow(5);

        await CreateAsync(nodeA, new { jobType = "email_scan", name = "every-2s", interval = "PT2S", startAt = start });
        var end = start.AddSeconds(30);
        await using var connection = await TestDatabase.OpenAsync();
        await Eventually.Until(
            () => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE schedule = 'every-2s' AND scheduled_for >= @end", new { end }),
            n => n >= 1, TimeSpan.FromSeconds(90), "the schedule past the 30-second window");
        await Task.WhenAll(nodeA.StopAsync(), nodeB.StopAsync());

        var rows = (await connection.QueryAsync<(DateTime ScheduledFor, string Status, string RunnerId, DateTime? StartedAt)>(
            "SELECT scheduled_for, status, runner_id, started_at FROM scheduled_jobs WHERE schedule = 'every-2s' AND scheduled_for < @end ORDER BY scheduled_for",
            new { end })).ToList();
        var expected = Enumerable.Range(0, 15).Select(i => start.AddSeconds(2 * i).UtcDateTime).ToList();
        var output = nodeA.Output + nodeB.Output;
        rows.Select(r => r.ScheduledFor).Should().Equal(expected, "every occurrence in 30 seconds, once each, on its 2-second grid:\n" + output);
        rows.Should().OnlyContain(r => r.Status == "completed" && r.StartedAt >= r.ScheduledFor, output);
        standIns.State.RequestsTo("POST", "/v1/admin/email-scan").Count(r => r.At < end.AddSeconds(2)).Should().BeGreaterThanOrEqualTo(15);
        TestContext.Out.WriteLine($"runs per node: {string.Join(", ", rows.GroupBy(r => r.RunnerId).Select(g => $"{g.Key}={g.Count()}"))}; " +
            $"start after occurrence: median {rows.Select(r => (r.StartedAt!.Value - r.ScheduledFor).TotalMilliseconds).Order().ElementAt(rows.Count / 2):0} ms, " +
            $"max {rows.Max(r => (r.StartedAt!.Value - r.ScheduledFor).TotalMilliseconds):0} ms");
    }

    [Test]
    public async Task AScheduleCreatedOnNodeA_FiresOnNodeB_AndSurvivesBothNodesRestart()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var connection = await TestDatabase.OpenAsync();
        var starting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings()), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Settings()) };
        await using (var nodeA = await starting[0])
        await using (var nodeB = await starting[1])
        {
            await CreateAsync(nodeA, new { jobType = "email_scan", name = "made-on-a", interval = "PT2S", parameters = (object?)null });
            await nodeA.StopAsync();

            await Eventually.Until(
                () => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE schedule = 'made-on-a' AND runner_id = 'node-b' AND status = 'completed'"),
                n => n >= 2, TimeSpan.FromSeconds(60), "runs of node A's schedule on node B");
            await nodeB.StopAsync();
        }

        var restartedAt = DateTime.UtcNow;
        var restarting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings()), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Settings()) };
        await using var nodeA2 = await restarting[0];
        await using var nodeB2 = await restarting[1];

        await Eventually.Until(
            () => connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM scheduled_jobs WHERE schedule = 'made-on-a' AND status = 'completed' AND scheduled_for > @restartedAt", new { restartedAt }),
            n => n >= 3, TimeSpan.FromSeconds(90), "runs after both nodes restarted");
        using var reader = nodeB2.CreateClient(TestTokens.Reader);
        var view = (await reader.GetFromJsonAsync<ScheduleView>("/api/schedules/email_scan/made-on-a"))!;
        view.Owner.Should().Be("api");
        view.Runs.Should().BeTrue();
        (await connection.QueryAsync<(DateTime ScheduledFor, long Rows)>(
            "SELECT scheduled_for, count(*) FROM scheduled_jobs WHERE schedule = 'made-on-a' GROUP BY scheduled_for HAVING count(*) > 1"))
            .Should().BeEmpty("no occurrence is recorded twice");
        (nodeA2.Output + nodeB2.Output).Should().NotContain("Unscheduled email_scan", "start-up reconciliation leaves API-owned schedules alone");
    }

    [Test]
    public async Task EachMisfirePolicy_AfterTheNodeWasStoppedThroughThreeOccurrences_DoesWhatItSays()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var connection = await TestDatabase.OpenAsync();
        var start = WholeSecondsFromNow(4).AddMilliseconds(500);
        var interval = TimeSpan.FromSeconds(3);
        Dictionary<string, DateTime> lastBeforeStop;
        DateTime stoppedAt;
        await using (var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings()))
        {
            // One type each, so that the one-run-per-type rule plays no part.
            await CreateAsync(node, new { jobType = "email_scan", name = "once", interval = "PT3S", startAt = start, misfirePolicy = "fire_once" });
            await CreateAsync(node, new { jobType = "export_dlq_replay", name = "skipper", interval = "PT3S", startAt = start, misfirePolicy = "skip" });
            await CreateAsync(node, new { jobType = "outbox_dlq_replay", name = "catcher", interval = "PT3S", startAt = start, misfirePolicy = "catch_up", catchUpLimit = 2 });
            await Eventually.Until(
                () => connection.ExecuteScalarAsync<long>("SELECT count(DISTINCT schedule) FROM scheduled_jobs WHERE status = 'completed'"),
                n => n == 3, TimeSpan.FromSeconds(60), "a run of each schedule");
            await node.StopAsync();
            stoppedAt = DateTime.UtcNow;
            // What the node recorded before it stopped. An occurrence due while it was shutting down is a firing in
            // flight: Quartz hands it back at the next start, and it runs then, once.
            lastBeforeStop = (await connection.QueryAsync<(string Schedule, DateTime Last)>(
                "SELECT schedule, max(scheduled_for) FROM scheduled_jobs GROUP BY schedule")).ToDictionary(r => r.Schedule, r => r.Last);
        }

        // Down through at least three occurrences (and the misfire threshold) before the node is back.
        await Task.Delay(interval * 3.5);
        var backAt = DateTimeOffset.UtcNow;
        await using (var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings()))
        {
            await Eventually.Until(
                () => connection.ExecuteScalarAsync<long>(
                    "SELECT count(DISTINCT schedule) FROM scheduled_jobs WHERE status = 'completed' AND started_at > @backAt", new { backAt }),
                n => n == 3, TimeSpan.FromSeconds(90), "each schedule running again");
            await Task.Delay(interval * 2);
            await node.StopAsync();
        }

        var all = (await connection.QueryAsync<(string Schedule, DateTime ScheduledFor, string Status, string? Error, DateTime CreatedAt)>(
            "SELECT schedule, scheduled_for, status, error, created_at FROM scheduled_jobs ORDER BY scheduled_for")).ToList();
        Func<DateTime, bool> onGrid = at => (new DateTimeOffset(at, TimeSpan.Zero) - start).Ticks % interval.Ticks == 0;
        var grid = Enumerable.Range(0, 1000).Select(i => (start + (interval * i)).UtcDateTime).ToList();
        // Per schedule, its rows since the stop; and the occurrences due while no node was up.
        List<(string Schedule, DateTime ScheduledFor, string Status, string? Error, DateTime CreatedAt)> Since(string schedule) =>
            [.. all.Where(r => r.Schedule == schedule && r.ScheduledFor > lastBeforeStop[schedule])];
        var missed = grid.Where(t => t > stoppedAt && t < backAt.UtcDateTime).ToList();
        missed.Should().HaveCountGreaterThanOrEqualTo(3);

        TestContext.Out.WriteLine($"stopped at {stoppedAt:O}, back at {backAt:O}; before the stop: {string.Join(", ", lastBeforeStop.Select(p => $"{p.Key} {p.Value:O}"))}");
        foreach (var r in all)
        {
            TestContext.Out.WriteLine($"{r.Schedule} {r.ScheduledFor:O} {r.Status} created {r.CreatedAt:O} {r.Error}");
        }

        var once = Since("once");
        once.Count(r => missed.Contains(r.ScheduledFor)).Should().BeLessThanOrEqualTo(1, "fire_once runs at most once for all that were missed");
        once.Where(r => r.ScheduledFor < backAt.UtcDateTime).Should().NotBeEmpty("fire_once does run once for them")
            .And.OnlyContain(r => r.Status == "completed");
        once.Where(r => r.ScheduledFor > backAt.UtcDateTime).Should().NotBeEmpty().And.OnlyContain(r => !onGrid(r.ScheduledFor),
            "it carries on from the moment it ran, not from the old grid");

        var skipper = Since("skipper");
        skipper.Where(r => missed.Contains(r.ScheduledFor)).Should().NotContain(r => r.Status != "skipped" || !r.Error!.Contains("skips missed occurrences"),
            "skip runs none of the missed occurrences (one Quartz hands back at start-up is recorded skipped)");
        skipper.Where(r => r.ScheduledFor > backAt.UtcDateTime).Should().NotBeEmpty().And.OnlyContain(r => onGrid(r.ScheduledFor),
            "and carries on with the next one on its grid");

        var catcher = Since("catcher");
        catcher.Select(r => r.ScheduledFor).Should().Equal(grid.Where(t => t > lastBeforeStop["catcher"] && t <= catcher[^1].ScheduledFor),
            "catch_up records every occurrence, missed or not, once");
        var dropped = catcher.Where(r => r.Status == "skipped").ToList();
        dropped.Should().NotBeEmpty().And.OnlyContain(r => r.Error!.Contains("catch-up limit"));
        var caughtUpAt = dropped.Min(r => r.CreatedAt);
        catcher.Where(r => r.Status == "completed" && r.ScheduledFor < caughtUpAt).Should().HaveCount(2,
            "of the occurrences already missed when the node came back, the latest two run (the limit) and the older ones are recorded skipped");
        dropped.Max(r => r.ScheduledFor).Should().BeBefore(catcher.Where(r => r.Status == "completed").Min(r => r.ScheduledFor));
    }
}
