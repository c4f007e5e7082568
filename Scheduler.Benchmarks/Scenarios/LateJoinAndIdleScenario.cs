using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 6. What a node costs when nothing happens (statements and commits per second, resident memory), how long it
/// takes to be ready, and how soon a node that joins a busy cluster fires its first trigger.
/// </summary>
internal static class LateJoinAndIdleScenario
{
    private const int Types = 20;

    public static async Task RunAsync(BenchContext bench)
    {
        var section = bench.Report.Section("idle", "6. Late join, idle cost, memory and start-up");
        try
        {
            var idle = new List<string[]>();
            foreach (var (profile, extra) in new[] { ("production defaults", new Dictionary<string, string>()), ("fast settings", new Dictionary<string, string>(NodeSettings.Fast)) })
            {
                idle.Add(await IdleAsync(bench, section, profile, extra));
            }

            section.Text($"Idle: one node, no job type scheduled, nothing triggered; after start-up and an 11 s pause (so PostgreSQL has flushed the start-up's statistics), "
                + $"`pg_stat_statements` calls and `xact_commit` of its database over {bench.Options.IdleWindow.TotalSeconds:0} s.");
            section.Table(["settings", "statements/s", "commits/s", "resident memory idle", "start-up to /readyz 200"], idle);
            await LateJoinAsync(bench, section);
        }
        catch (Exception ex)
        {
            section.Failed(ex);
        }

        var startup = new Stats(bench.StartupTimes);
        var loaded = new Stats(bench.LoadedRss);
        section.Json["startupMs"] = new JsonObject { ["nodes"] = startup.Count, ["p50"] = Round(startup.P50), ["max"] = Round(startup.Max) };
        section.Json["loadedRssMiB"] = new JsonObject { ["samples"] = loaded.Count, ["max"] = Round(loaded.Max), ["p50"] = Round(loaded.P50) };
        section.Text($"Start-up (process start → first `/readyz` 200, database already migrated) over every node this run started ({startup.Count}): "
            + $"median {Report.Format(startup.P50, "ms")}, max {Report.Format(startup.Max, "ms")}. Resident memory under load (peak `VmRSS` of loaded nodes in scenarios 1 and 6, {loaded.Count} nodes): "
            + $"median {loaded.P50:0} MiB, max {loaded.Max:0} MiB.");
        Report.Print($"start-up p50 {startup.P50:0} ms max {startup.Max:0} ms; loaded RSS max {loaded.Max:0} MiB");
    }

    private static async Task<string[]> IdleAsync(BenchContext bench, ReportSection section, string profile, Dictionary<string, string> extra)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var settings = NodeSettings.Base(bench, connectionString).With(extra);
        await using var node = await bench.StartNodeAsync($"idle-{(extra.Count > 0 ? "fast" : "dflt")}", settings);
        await Task.Delay(TimeSpan.FromSeconds(11));
        var before = await bench.Server.CountersAsync(bench.Options.ServiceDatabase);
        await Task.Delay(bench.Options.IdleWindow);
        var delta = (await bench.Server.CountersAsync(bench.Options.ServiceDatabase)).Since(before);
        var rss = node.ResidentMiB();
        await node.StopAsync();
        var seconds = bench.Options.IdleWindow.TotalSeconds;
        var statements = delta.Statements / seconds;
        var commits = delta.Commits / seconds;
        Report.Print($"idle ({profile}): {statements:0.00} statements/s, {commits:0.00} commits/s, {rss:0} MiB, ready in {node.StartupTime.TotalMilliseconds:0} ms; top: "
            + string.Join("; ", delta.ByQuery.Take(5).Select(q => $"{q.Calls}× {ThroughputScenario.Shorten(q.Query)[..Math.Min(60, ThroughputScenario.Shorten(q.Query).Length)]}")));
        section.Json[extra.Count > 0 ? "idleFast" : "idleDefaults"] = new JsonObject
        {
            ["statementsPerSecond"] = Math.Round(statements, 2),
            ["commitsPerSecond"] = Math.Round(commits, 2),
            ["rssMiB"] = Math.Round(rss, 1),
            ["startupMs"] = Math.Round(node.StartupTime.TotalMilliseconds),
            ["topStatements"] = new JsonArray([.. delta.ByQuery.Take(10).Select(q => (JsonNode)new JsonObject { ["calls"] = q.Calls, ["query"] = q.Query })]),
        };
        // Only production defaults carry the goal; the fast settings are measured beside them for comparison.
        if (extra.Count == 0)
        {
            bench.Report.Goal("idle statements per node, production defaults", "≤ 2/s", statements, 2, "/s", higherIsBetter: false,
                "production defaults, 1 node", $"{commits:0.00} commits/s over {seconds:0} s");
        }

        return
        [
            profile, Report.Format(statements, "/s"), Report.Format(commits, "/s"), $"{rss:0} MiB",
            Report.Format(node.StartupTime.TotalMilliseconds, "ms"),
        ];
    }

    /// <summary>Node A runs a steady load; node B starts, and the time to B's first run is measured, several times.</summary>
    private static async Task LateJoinAsync(BenchContext bench, ReportSection section)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var types = NodeSettings.Names("lj", Types).ToList();
        var settings = NodeSettings.Base(bench, connectionString).WithTypes(types);
        await using var nodeA = await bench.StartNodeAsync("late-node-a", settings);
        await using var active = await ActiveTypes.StartAsync(bench.Server, bench.Options.ServiceDatabase);
        await using var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase);
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(types.Select(async type =>
        {
            for (var round = 0; round < 100_000 && !stop.IsCancellationRequested; round++)
            {
                await Api.RunAsync(nodeA, type, active, TimeSpan.FromMinutes(1));
            }
        }));
        await Task.Delay(TimeSpan.FromSeconds(3));

        var rows = new List<string[]>();
        var joins = new JsonArray();
        var worstFromReady = 0.0;
        for (var rep = 0; rep < bench.Options.LateJoinRepetitions; rep++)
        {
            var runner = $"late-node-b{rep}";
            await using var nodeB = await bench.StartNodeAsync(runner, settings);
            double fromReady = double.NaN, fromSpawn = double.NaN;
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTimeOffset.UtcNow < deadline)
            {
                var first = await connection.ExecuteScalarAsync<DateTime?>(
                    $"{PgServer.Tag} SELECT min(started_at) FROM scheduled_jobs WHERE runner_id = @runner", new { runner });
                if (first is { } at)
                {
                    var started = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc));
                    fromReady = (started - nodeB.ReadyAt).TotalSeconds;
                    fromSpawn = (started - nodeB.SpawnedAt).TotalSeconds;
                    break;
                }

                await Task.Delay(50);
            }

            bench.LoadedRss.Add(nodeA.ResidentMiB());
            worstFromReady = double.IsNaN(fromReady) ? double.PositiveInfinity : Math.Max(worstFromReady, fromReady);
            rows.Add([(rep + 1).ToString(CultureInfo.InvariantCulture), Report.Format(fromReady, "s"), Report.Format(fromSpawn, "s"), Report.Format(nodeB.StartupTime.TotalMilliseconds, "ms")]);
            joins.Add(new JsonObject { ["fromReadySeconds"] = Round(fromReady), ["fromSpawnSeconds"] = Round(fromSpawn), ["startupMs"] = Math.Round(nodeB.StartupTime.TotalMilliseconds) });
            Report.Print($"late join {rep + 1}: first run {fromReady:0.00} s after ready ({fromSpawn:0.00} s after process start)");
            await nodeB.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        await stop.CancelAsync();
        await load;
        section.Json["lateJoin"] = joins;
        bench.Report.Goal("late join, ready → first run", "≤ 5 s", worstFromReady, 5, "s", higherIsBetter: false, "production defaults, 2 nodes",
            $"worst of {bench.Options.LateJoinRepetitions}");
        section.Text($"Late join: node A runs {Types} job types continuously (triggered through A's API); node B starts, and the time from B's readiness "
            + "(and from its process start) to the `started_at` of the first run B executes is measured. Production defaults.");
        section.Table(["join", "ready → first run", "process start → first run", "B's start-up"], rows);
    }

    private static double? Round(double value) => double.IsFinite(value) ? Math.Round(value, 2) : null;
}
