using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.Contracts.Api;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 4. The history API over a seeded <c>scheduled_jobs</c> (many types, mixed statuses, 30 days), measured with
/// wrk at 1 and 8 connections for each filter, a deep page and <c>/api/jobs/status</c>; each list's <c>total</c>
/// is checked against a SQL count.
/// </summary>
internal static class HistoryApiScenario
{
    private const int Types = 50;

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

    private const string WrkScript = """
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
            await connection.ExecuteAsync($"{PgServer.Tag} VACUUM ANALYZE scheduled_jobs", commandTimeout: 600);
            Report.Print($"seeded {rows} rows in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        var settings = NodeSettings.Base(bench, connectionString).WithTypes(NodeSettings.Names("h", Types));
        await using var node = await bench.StartNodeAsync("history-node", settings);
        var mid = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-15).ToUnixTimeSeconds());
        var window = $"from={Iso(mid)}&to={Iso(mid.AddDays(1))}";
        var lists = new (string Name, string Query, string Where, object? Args)[]
        {
            ("no filter", "", "true", null),
            ("type", "type=h_7", "job_type = 'h_7'", null),
            ("status", "status=failed", "status = 'failed'", null),
            ("startedBy", "startedBy=user_5", "started_by = 'user_5'", null),
            ("from/to (1 day)", window, "created_at >= @from AND created_at < @to", new { from = mid, to = mid.AddDays(1) }),
            ("type + status", "type=h_7&status=completed", "job_type = 'h_7' AND status = 'completed'", null),
            ("deep page (page=1000, limit=50)", "page=1000&limit=50", "true", null),
        };

        var script = Path.Combine(bench.Options.WorkDirectory, "report.lua");
        await File.WriteAllTextAsync(script, WrkScript);
        var table = new List<string[]>();
        var results = new JsonArray();
        var worstAt8 = 0.0;
        await using (var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase))
        {
            foreach (var (name, query, where, args) in lists.Select(l => (l.Name, l.Query, l.Where, l.Args))
                .Append(("GET /api/jobs/status", "", "", null)))
            {
                var path = name.StartsWith("GET /api/jobs/status", StringComparison.Ordinal) ? "/api/jobs/status" : "/api/jobs?" + query;
                string totalCheck;
                if (where.Length > 0)
                {
                    var page = await node.Client.GetFromJsonAsync<JobExecutionPage>(path, new JsonSerializerOptions(JsonSerializerDefaults.Web));
                    var counted = await connection.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs WHERE {where}", args);
                    totalCheck = page!.Total == counted ? $"{counted} = SQL count" : $"**{page.Total} ≠ SQL count {counted}**";
                }
                else
                {
                    totalCheck = "";
                }

                foreach (var connections in new[] { 1, 8 })
                {
                    var wrk = await WrkAsync(node, path, connections, bench.Options.WrkDuration, script, bench.AdminToken);
                    table.Add(
                    [
                        name, "`" + path + "`", connections.ToString(CultureInfo.InvariantCulture),
                        Report.Format(wrk.RequestsPerSecond, "/s"), Report.Format(wrk.P50Ms, "ms"), Report.Format(wrk.P99Ms, "ms"),
                        (wrk.Errors + wrk.Non2xx).ToString(CultureInfo.InvariantCulture), connections == 1 ? totalCheck : "",
                    ]);
                    Report.Print($"{name} @{connections}: {wrk.RequestsPerSecond:0}/s p50 {wrk.P50Ms:0.00} ms p99 {wrk.P99Ms:0.00} ms, {wrk.Errors + wrk.Non2xx} errors {(connections == 1 ? totalCheck : "")}");
                    results.Add(new JsonObject
                    {
                        ["endpoint"] = name,
                        ["path"] = path,
                        ["connections"] = connections,
                        ["requestsPerSecond"] = Math.Round(wrk.RequestsPerSecond, 1),
                        ["p50Ms"] = Math.Round(wrk.P50Ms, 3),
                        ["p99Ms"] = Math.Round(wrk.P99Ms, 3),
                        ["errors"] = wrk.Errors + wrk.Non2xx,
                        ["totalCheck"] = connections == 1 ? totalCheck : null,
                    });
                    if (connections == 8)
                    {
                        worstAt8 = Math.Max(worstAt8, wrk.P99Ms);
                    }
                }
            }
        }

        bench.Report.Goal($"history p99 at 8 clients over {rows:N0} rows (worst endpoint)", "≤ 10 ms", worstAt8, 10, "ms", higherIsBetter: false,
            "production defaults, 1 node", "wrk, 8 connections, every filter, deep page and /api/jobs/status");
        section.Json["rows"] = rows;
        section.Json["results"] = results;
        section.Text($"{rows:N0} rows seeded with one `INSERT … SELECT generate_series` ({Types} types, 85 % completed, 10 % failed, 2 % cancelled, 3 % skipped, "
            + $"a quarter manual from 20 callers, spread over 30 days), then `VACUUM ANALYZE`. Each line is `wrk` (Debian's) for {bench.Options.WrkDuration.TotalSeconds:0} s "
            + "with an admin bearer token, 1 connection (1 thread) or 8 (2 threads). `total` of each list was compared with a SQL count of the same filter.");
        section.Table(["query", "path", "connections", "requests/s", "p50", "p99", "errors", "`total`"], table);
    }

    private static string Iso(DateTimeOffset value) => Uri.EscapeDataString(value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));

    private static async Task<WrkResult> WrkAsync(ServiceProcess node, string path, int connections, TimeSpan duration, string script, string token)
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

    private sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, long Non2xx);
}
