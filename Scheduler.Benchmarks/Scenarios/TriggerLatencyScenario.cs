using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 2. <c>POST /api/jobs/trigger</c> → the job's first line, measured as the stand-in's receive time of the job's
/// downstream call (same clock as the send time: the stand-in runs in this process), and as the row's
/// <c>started_at</c>. Idle: one run at a time, each after the previous one ended and a random 20–120 ms pause.
/// Loaded: the same while other job types run at half the 2-node sustained throughput. Requests alternate between the nodes.
/// </summary>
internal static class TriggerLatencyScenario
{
    private const string Sampled = "lat_0";

    public static Task RunAsync(BenchContext bench) =>
        bench.Report.RunSectionAsync("latency", "2. Trigger latency: POST /api/jobs/trigger → job start", section => MeasureAsync(bench, section));

    private static async Task MeasureAsync(BenchContext bench, ReportSection section)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var background = NodeSettings.Names("bg", BenchOptions.InFlight).ToList();
        var settings = NodeSettings.Base(bench, connectionString).WithTypes(background.Append(Sampled));
        await using var nodeA = await bench.StartNodeAsync("lat-node-a", settings);
        await using var nodeB = await bench.StartNodeAsync("lat-node-b", settings);
        ServiceProcess[] nodes = [nodeA, nodeB];
        await using var active = await ActiveTypes.StartAsync(bench.Server, bench.Options.ServiceDatabase);
        await SampleAsync(bench, nodes, active, 10); // warm-up

        var idle = await SampleAsync(bench, nodes, active, bench.Options.LatencySamples);
        var phases = new List<(string Name, List<Sample> Samples)> { ("idle", idle) };
        var rate = 0.5 * (bench.TwoNodeThroughput ?? 100);
        double? achieved = null;
        // The regression guard measures the idle phase only.
        if (!bench.Options.Guard)
        {
            using var stop = new CancellationTokenSource();
            var load = LoadAsync(nodes, background, active, rate, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var loaded = await SampleAsync(bench, nodes, active, bench.Options.LatencySamples);
            await stop.CancelAsync();
            achieved = await load;
            phases.Add(($"loaded ({achieved:0}/s background, target {rate:0}/s)", loaded));
        }

        var rows = new List<string[]>();
        var json = section.Json;
        foreach (var (name, samples) in phases)
        {
            var firstLine = new Stats(samples.Select(s => s.FirstCallMs));
            var started = new Stats(samples.Select(s => s.StartedMs));
            var answer = new Stats(samples.Select(s => s.AnswerMs));
            var sameNode = new Stats(samples.Where(s => s.SameNode).Select(s => s.FirstCallMs));
            var otherNode = new Stats(samples.Where(s => !s.SameNode).Select(s => s.FirstCallMs));
            rows.Add(Row(name, "trigger → first downstream call (job's first line)", firstLine));
            rows.Add(Row(name, "trigger → `started_at`", started));
            rows.Add(Row(name, "trigger → 202 answer", answer));
            rows.Add(Row(name, $"first line, run on the node that took the request ({sameNode.Count})", sameNode));
            rows.Add(Row(name, $"first line, run on the other node ({otherNode.Count})", otherNode));
            Report.Print($"{name}: first line p50 {firstLine.P50:0.0} ms p95 {firstLine.P95:0.0} ms p99 {firstLine.P99:0.0} ms; started_at p50 {started.P50:0.0} p99 {started.P99:0.0}; same node {sameNode.Count}, other {otherNode.Count}");
            json[name.StartsWith("idle", StringComparison.Ordinal) ? "idle" : "loaded"] = new JsonObject
            {
                ["samples"] = firstLine.Count,
                ["firstLineMs"] = Percentiles(firstLine),
                ["startedAtMs"] = Percentiles(started),
                ["answerMs"] = Percentiles(answer),
                ["sameNodeFirstLineMs"] = Percentiles(sameNode),
                ["otherNodeFirstLineMs"] = Percentiles(otherNode),
            };

            if (name == "idle")
            {
                const string Goal = "trigger → job's first downstream call, idle, 2 nodes";
                var note = $"{firstLine.Count} samples; trigger → started_at p50 {Report.Format(started.P50, "ms")}, trigger → 202 p50 {Report.Format(answer.P50, "ms")}";
                bench.Report.Goal($"{Goal}: p50", "≤ 12 ms", firstLine.P50, 12, "ms", higherIsBetter: false, "production defaults, 2 nodes", note);
                bench.Report.Goal($"{Goal}: p99", "≤ 40 ms", firstLine.P99, 40, "ms", higherIsBetter: false, "production defaults, 2 nodes", note);
                bench.Report.Summary("trigger → first downstream call, idle, 2 nodes: p50 / p99 (this machine only)",
                    $"{Report.Format(firstLine.P50, "ms")} / {Report.Format(firstLine.P99, "ms")}");
            }
        }

        if (achieved is { } backgroundRate)
        {
            json["backgroundTargetPerSecond"] = Math.Round(rate, 1);
            json["backgroundAchievedPerSecond"] = Math.Round(backgroundRate, 1);
        }

        section.Text($"{bench.Options.LatencySamples} samples per phase, production defaults, 2 nodes, the triggers alternating between them. "
            + "\"First line\" is the stand-in's receive time of the run's downstream call minus the time the trigger request was sent; "
            + "`started_at` is when the node claimed the row. "
            + (bench.Options.Guard ? "The regression guard measures the idle phase only." : "The loaded phase runs other job types at half the 2-node throughput of scenario 1."));
        section.Table(["phase", "measure", "samples", "p50", "p95", "p99", "max"], rows);
    }

    private static string[] Row(string phase, string measure, Stats stats) =>
    [
        phase, measure, stats.Count.ToString(CultureInfo.InvariantCulture),
        Report.Format(stats.P50, "ms"), Report.Format(stats.P95, "ms"), Report.Format(stats.P99, "ms"), Report.Format(stats.Max, "ms"),
    ];

    private static JsonObject Percentiles(Stats stats) => new()
    {
        ["p50"] = Round(stats.P50),
        ["p95"] = Round(stats.P95),
        ["p99"] = Round(stats.P99),
        ["max"] = Round(stats.Max),
    };

    private static double? Round(double value) => double.IsFinite(value) ? Math.Round(value, 2) : null;

    private static async Task<List<Sample>> SampleAsync(BenchContext bench, ServiceProcess[] nodes, ActiveTypes active, int count)
    {
        var sent = new List<(Guid Id, DateTimeOffset SentAt, double AnswerMs, string Node)>();
        for (var i = 0; i < count; i++)
        {
            var node = nodes[i % nodes.Length];
            var clock = Stopwatch.GetTimestamp();
            var triggered = await Api.RunAsync(node, Sampled, active, TimeSpan.FromMinutes(1));
            sent.Add((triggered.Id!.Value, triggered.SentAt, Stopwatch.GetElapsedTime(clock, triggered.AnsweredTimestamp).TotalMilliseconds, node.RunnerId));
            await Task.Delay(20 + bench.Random.Next(100));
        }

        var calls = bench.StandIns.State.RequestsTo("POST", NodeSettings.PathOf(Sampled))
            .GroupBy(r => r.Headers.GetValueOrDefault("Idempotency-Key") ?? "")
            .ToDictionary(g => g.Key, g => g.Min(r => r.At), StringComparer.Ordinal);
        await using var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase);
        var rows = (await connection.QueryAsync<(Guid Id, DateTime StartedAt, string RunnerId)>(
            $"{PgServer.Tag} SELECT id, started_at, runner_id FROM scheduled_jobs WHERE id = ANY(@ids)", new { ids = sent.Select(s => s.Id).ToArray() }))
            .ToDictionary(r => r.Id);
        return [.. sent
            .Where(s => calls.ContainsKey($"{Sampled}:{s.Id}") && rows.ContainsKey(s.Id))
            .Select(s => new Sample(
                (calls[$"{Sampled}:{s.Id}"] - s.SentAt).TotalMilliseconds,
                (new DateTimeOffset(DateTime.SpecifyKind(rows[s.Id].StartedAt, DateTimeKind.Utc)) - s.SentAt).TotalMilliseconds,
                s.AnswerMs,
                rows[s.Id].RunnerId == s.Node))];
    }

    /// <summary>Runs <paramref name="types"/> at <paramref name="perSecond"/> in all until cancelled; returns the rate achieved.</summary>
    private static async Task<double> LoadAsync(ServiceProcess[] nodes, IReadOnlyList<string> types, ActiveTypes active, double perSecond, CancellationToken stop)
    {
        var next = -1L;
        var done = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(types.Select(async type =>
        {
            while (!stop.IsCancellationRequested)
            {
                var slot = Interlocked.Increment(ref next);
                var due = TimeSpan.FromSeconds(slot / perSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(due, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }

                await Api.RunAsync(nodes[slot % nodes.Length], type, active, TimeSpan.FromMinutes(1));
                Interlocked.Increment(ref done);
            }
        }));
        return Interlocked.Read(ref done) / clock.Elapsed.TotalSeconds;
    }

    private sealed record Sample(double FirstCallMs, double StartedMs, double AnswerMs, bool SameNode);
}
