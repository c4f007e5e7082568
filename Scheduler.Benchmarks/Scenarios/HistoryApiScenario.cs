using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.Contracts.Api;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 4. The history API over a seeded <c>scheduled_jobs</c> (many types, mixed statuses, 30 days), measured with wrk
/// for each filter, the unfiltered list, a deep page and <c>/api/jobs/status</c>, twice: right after the rows were
/// written (count deltas unfolded, no vacuum) and after they settled (folded, vacuumed); each list's <c>total</c> is
/// checked against a SQL count before its lines in both.
/// </summary>
internal static class HistoryApiScenario
{
    private const int Types = 50;
    private const string StatusName = "GET /api/jobs/status";
    private const string AfterWritten = "right after written";
    private const string AfterSettle = "after settle";

    // {0}: rows. Timestamps spread evenly over 30 days, newest now; type, status, trigger and caller vary independently;
    // a quarter manual (20 different callers), the rest cron.
    private static readonly string SeedSql = $$"""
        {{PgServer.Tag}}
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_at, completed_at, started_by, runner_id,
                                    error, result, created_at, updated_at)
        SELECT 'h_' || (g % {{Types}}),
               CASE WHEN st < 85 THEN 'completed' WHEN st < 95 THEN 'failed' WHEN st < 97 THEN 'cancelled' ELSE 'skipped' END,
               CASE WHEN manual THEN 'manual' ELSE 'cron' END,
               CASE WHEN manual THEN NULL ELSE ts END,
               CASE WHEN st >= 97 THEN NULL ELSE ts END,
               ts + interval '2 seconds',
               CASE WHEN manual THEN 'user_' || ((g / 11) % 20) ELSE 'scheduler' END,
               'seed-node-' || (g % 3),
               CASE WHEN st BETWEEN 85 AND 94 THEN 'discovery service answered 500 InternalServerError to GET /api/discoveries' END,
               jsonb_build_object('success', st < 85, 'itemsProcessed', g % 37, 'errors', '[]'::jsonb,
                                  'details', jsonb_build_object('duration', '00:00:02')),
               ts, ts + interval '2 seconds'
          FROM (SELECT g, (g / {{Types}}) % 100 AS st, (g / 7) % 4 = 0 AS manual, now() - (g * (interval '30 days' / {0})) AS ts
                  FROM generate_series(1, {0}) AS g) AS s
        """;

    /// <summary>wrk's report script: one BENCHJSON line with the run's requests, errors and latency percentiles (read by <see cref="WrkAsync"/>).</summary>
    internal const string WrkScript = """
        done = function(summary, latency, requests)
          local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
          io.write(string.format("BENCHJSON {\"requests\":%d,\"durationUs\":%d,\"errors\":%d,\"non2xx\":%d,\"p50Us\":%d,\"p90Us\":%d,\"p99Us\":%d,\"maxUs\":%d}\n",
            summary.requests, summary.duration, errors, summary.errors.status,
            latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
        end
        """;

    public static Task RunAsync(BenchContext bench) =>
        bench.Report.RunSectionAsync("history", "4. History API over seeded rows", section => MeasureAsync(bench, section));

    private static async Task MeasureAsync(BenchContext bench, ReportSection section)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var rows = bench.Options.HistoryRows;
        await using (var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase))
        {
            var clock = Stopwatch.StartNew();
            await connection.ExecuteAsync(SeedSql.Replace("{0}", rows.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), commandTimeout: 1200);
            // Statistics as autovacuum's analyze has them within a minute of a bulk write; no vacuum yet.
            await connection.ExecuteAsync($"{PgServer.Tag} ANALYZE scheduled_jobs", commandTimeout: 600);
            Report.Print($"seeded {rows} rows in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        var settings = NodeSettings.Base(bench, connectionString).WithTypes(NodeSettings.Names("h", Types));
        await using var node = await bench.StartNodeAsync("history-node", settings);
        var mid = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-15).ToUnixTimeSeconds());
        var window = $"from={Iso(mid)}&to={Iso(mid.AddDays(1))}";
        // The lists whose totals come from the maintained counts (and so read the unfolded deltas) first, while the
        // deltas of the seed are still unfolded; the node folds them on its sixth supervision tick.
        var lists = new Endpoint[]
        {
            new("no filter", "/api/jobs?", "true", null, InGoal: true),
            new("type", "/api/jobs?type=h_7", "job_type = 'h_7'", null, InGoal: true),
            new("status", "/api/jobs?status=failed", "status = 'failed'", null, InGoal: true),
            new("type + status", "/api/jobs?type=h_7&status=completed", "job_type = 'h_7' AND status = 'completed'", null, InGoal: true),
            new("startedBy", "/api/jobs?startedBy=user_5", "started_by = 'user_5'", null, InGoal: true),
            new("from/to (1 day)", "/api/jobs?" + window, "created_at >= @from AND created_at < @to", new { from = mid, to = mid.AddDays(1) }, InGoal: true),
            new("deep page (page=1000, limit=50)", "/api/jobs?page=1000&limit=50", "true", null, InGoal: false),
            new(StatusName, "/api/jobs/status", null, null, InGoal: false),
        };

        var script = Path.Combine(bench.Options.WorkDirectory, "report.lua");
        await File.WriteAllTextAsync(script, WrkScript);
        var table = new List<string[]>();
        var results = new JsonArray();
        var phases = new List<PhaseResult>();
        await using (var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase))
        {
            // Right after written: 8 connections only, and shorter lines, so that most of them run before the first fold.
            var fresh = TimeSpan.FromSeconds(Math.Max(3, bench.Options.WrkDuration.TotalSeconds / 2));
            phases.Add(await PhaseAsync(bench, node, connection, lists, AfterWritten, [8], fresh, script, table, results));

            var clock = Stopwatch.StartNew();
            var unfolded = await WaitForFoldedAsync(connection, TimeSpan.FromMinutes(2));
            // What autovacuum does to a table a million rows were written to, in its own time.
            await connection.ExecuteAsync($"{PgServer.Tag} VACUUM ANALYZE scheduled_jobs", commandTimeout: 1200);
            await connection.ExecuteAsync($"{PgServer.Tag} VACUUM ANALYZE scheduled_jobs_count_deltas", commandTimeout: 600);
            await connection.ExecuteAsync($"{PgServer.Tag} VACUUM ANALYZE scheduled_jobs_counts", commandTimeout: 600);
            Report.Print($"settled in {clock.Elapsed.TotalSeconds:0.0} s ({unfolded} deltas still unfolded)");
            section.Json["settleSeconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
            phases.Add(await PhaseAsync(bench, node, connection, lists, AfterSettle, [1, 8], bench.Options.WrkDuration, script, table, results));
        }

        const string Settings = "production defaults, 1 node";
        var goalLists = string.Join(", ", lists.Where(l => l.InGoal).Select(l => l.Name));
        foreach (var phase in phases)
        {
            bench.Report.Goal($"GET /api/jobs at 8 connections over {rows:N0} rows, every filter and the unfiltered list, {phase.Name}: worst p99", "≤ 10 ms",
                phase.WorstListP99At8, 10, "ms", higherIsBetter: false, Settings,
                $"worst: {phase.WorstList}; lists: {goalLists}; deep page=1000 (OFFSET, not in the goal) p99 {Report.Format(phase.DeepPageP99At8, "ms")}");
        }

        bench.Report.Goal($"GET /api/jobs `total` exact, every filter and the unfiltered list, both phases", "0 wrong", phases.Sum(p => p.WrongTotals), 0, "", higherIsBetter: false, Settings,
            $"{phases.Sum(p => p.CheckedTotals)} totals compared with a SQL count of the same filter");
        bench.Report.Goal($"GET /api/jobs/status at 8 connections over {rows:N0} rows: p99", "≤ 20 ms", phases.Max(p => p.StatusP99At8), 20, "ms", higherIsBetter: false, Settings,
            string.Join("; ", phases.Select(p => $"{p.Name} {Report.Format(p.StatusP99At8, "ms")}")));
        section.Json["rows"] = rows;
        section.Json["results"] = results;
        section.Text($"{rows:N0} rows seeded with one `INSERT … SELECT generate_series` ({Types} types, 85 % completed, 10 % failed, 2 % cancelled, 3 % skipped, "
            + "a quarter manual from 20 callers, spread over 30 days), then `ANALYZE` (no vacuum), and a node started. "
            + $"First, **{AfterWritten}**: at once, each list for {Math.Max(3, bench.Options.WrkDuration.TotalSeconds / 2):0} s at 8 connections, the lists whose totals read "
            + $"the maintained counts first; the seed's {rows:N0} count deltas are unfolded until the node's first fold (its sixth supervision tick, about 25 s "
            + "after it started): the \"unfolded deltas\" column says how many each line started with. "
            + $"Then, **{AfterSettle}**: once the node had folded the deltas, `VACUUM ANALYZE` (what autovacuum does in its own time), then each list for "
            + $"{bench.Options.WrkDuration.TotalSeconds:0} s at 1 connection (1 thread) and at 8 (2 threads). `wrk` is Debian's, with an admin bearer token. "
            + "Before each list's lines, its `total` was compared with a SQL count of the same filter.");
        section.Table(["phase", "query", "path", "unfolded deltas", "connections", "requests/s", "p50", "p99", "errors", "`total`"], table);
    }

    private static async Task<PhaseResult> PhaseAsync(BenchContext bench, ServiceProcess node, NpgsqlConnection connection, Endpoint[] lists, string phase,
        int[] connectionCounts, TimeSpan duration, string script, List<string[]> table, JsonArray results)
    {
        var result = new PhaseResult(phase);
        foreach (var list in lists)
        {
            var unfolded = await connection.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs_count_deltas");
            var totalCheck = "";
            if (list.Where is { } where)
            {
                var page = await node.Client.GetFromJsonAsync<JobExecutionPage>(list.Path, new JsonSerializerOptions(JsonSerializerDefaults.Web));
                var counted = await connection.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs WHERE {where}", list.Args);
                result.CheckedTotals++;
                if (page!.Total == counted)
                {
                    totalCheck = $"{counted} = SQL count";
                }
                else
                {
                    result.WrongTotals++;
                    totalCheck = $"**{page.Total} ≠ SQL count {counted}**";
                }
            }

            foreach (var connections in connectionCounts)
            {
                var wrk = await WrkAsync(node, list.Path, connections, duration, script, bench.AdminToken);
                table.Add(
                [
                    phase, list.Name, "`" + list.Path + "`", unfolded.ToString(CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture),
                    Report.Format(wrk.RequestsPerSecond, "/s"), Report.Format(wrk.P50Ms, "ms"), Report.Format(wrk.P99Ms, "ms"),
                    (wrk.Errors + wrk.Non2xx).ToString(CultureInfo.InvariantCulture), totalCheck,
                ]);
                Report.Print($"{phase}, {list.Name} @{connections} ({unfolded} unfolded deltas): {wrk.RequestsPerSecond:0}/s p50 {wrk.P50Ms:0.00} ms p99 {wrk.P99Ms:0.00} ms, {wrk.Errors + wrk.Non2xx} errors {totalCheck}");
                results.Add(new JsonObject
                {
                    ["phase"] = phase,
                    ["endpoint"] = list.Name,
                    ["path"] = list.Path,
                    ["unfoldedDeltas"] = unfolded,
                    ["connections"] = connections,
                    ["requestsPerSecond"] = Math.Round(wrk.RequestsPerSecond, 1),
                    ["p50Ms"] = Math.Round(wrk.P50Ms, 3),
                    ["p99Ms"] = Math.Round(wrk.P99Ms, 3),
                    ["errors"] = wrk.Errors + wrk.Non2xx,
                    ["totalCheck"] = totalCheck.Length == 0 ? null : totalCheck,
                });
                totalCheck = "";
                if (connections == 8)
                {
                    // A line with errors has not met any latency bound.
                    var p99 = wrk.Errors + wrk.Non2xx > 0 ? double.PositiveInfinity : wrk.P99Ms;
                    if (list.Name == StatusName)
                    {
                        result.StatusP99At8 = p99;
                    }
                    else if (!list.InGoal)
                    {
                        result.DeepPageP99At8 = p99;
                    }
                    else if (p99 >= result.WorstListP99At8)
                    {
                        result.WorstListP99At8 = p99;
                        result.WorstList = list.Name;
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until the node has folded every count delta; returns how many are left.</summary>
    private static async Task<long> WaitForFoldedAsync(NpgsqlConnection connection, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var unfolded = await connection.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs_count_deltas");
            if (unfolded == 0 || DateTimeOffset.UtcNow > deadline)
            {
                return unfolded;
            }

            await Task.Delay(500);
        }
    }

    internal static string Iso(DateTimeOffset value) => Uri.EscapeDataString(value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));

    /// <summary>GET <paramref name="path"/> on <paramref name="node"/> with wrk at <paramref name="connections"/> connections for <paramref name="duration"/>.</summary>
    internal static async Task<WrkResult> WrkAsync(ServiceProcess node, string path, int connections, TimeSpan duration, string script, string token)
    {
        var start = new ProcessStartInfo("wrk",
        [
            "-t", Math.Min(connections, 2).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{duration.TotalSeconds:0}s",
            "--timeout", "10s",
            "-s", script,
            "-H", $"Authorization: Bearer {token}",
            node.BaseUrl + path,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start wrk");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        var line = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("BENCHJSON ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result: {await output} {await errors}");
        var json = JsonNode.Parse(line["BENCHJSON ".Length..])!;
        var requests = json["requests"]!.GetValue<long>();
        var seconds = json["durationUs"]!.GetValue<long>() / 1e6;
        return new WrkResult(requests / seconds, json["p50Us"]!.GetValue<long>() / 1000.0, json["p99Us"]!.GetValue<long>() / 1000.0,
            json["errors"]!.GetValue<long>(), json["non2xx"]!.GetValue<long>());
    }

    internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, long Non2xx);

    /// <summary>One measured GET: <paramref name="Where"/> is the SQL filter its <c>total</c> is checked against (none for the status endpoint).</summary>
    private sealed record Endpoint(string Name, string Path, string? Where, object? Args, bool InGoal);

    private sealed class PhaseResult(string name)
    {
        public string Name { get; } = name;

        public double WorstListP99At8 { get; set; }

        public string WorstList { get; set; } = "none";

        public double DeepPageP99At8 { get; set; } = double.NaN;

        public double StatusP99At8 { get; set; } = double.NaN;

        public int CheckedTotals { get; set; }

        public int WrongTotals { get; set; }
    }
}
