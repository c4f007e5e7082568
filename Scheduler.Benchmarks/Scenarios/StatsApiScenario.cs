using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.Contracts.Api;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 4b. <c>GET /api/jobs/stats</c> over a million executions: seeded over 90 days across 8 types with failures of
/// several error texts (ids, numbers, URLs), rolled up by the node as in production, then measured with wrk at 1 and
/// 8 connections for the last 24 h of every type, the last 7 days of one type and the last 90 days by day. Each
/// answer's total is checked against a SQL count first.
/// </summary>
internal static class StatsApiScenario
{
    private const int Types = 8;

    // {0}: rows. Completion times spread evenly over 90 days, newest now; per type a different typical duration
    // (200 ms × (type + 1), spread ×1 to ×5.8) and failure rate (2 % to 16 %); five error texts whose ids, numbers
    // and URLs vary, one of them empty.
    private static readonly string SeedSql = $$"""
        {{PgServer.Tag}}
        INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_at, completed_at, started_by, runner_id,
                                    error, created_at, updated_at)
        SELECT 's_' || t,
               CASE WHEN st < 2 * (t + 1) THEN 'failed' WHEN st < 2 * (t + 1) + 2 THEN 'cancelled' WHEN st < 2 * (t + 1) + 4 THEN 'skipped' ELSE 'completed' END,
               'cron', ts, CASE WHEN st < 2 * (t + 1) + 2 OR st >= 2 * (t + 1) + 4 THEN ts - ms * interval '1 millisecond' END, ts,
               'scheduler', 'seed-node-' || (g % 3),
               CASE WHEN st < 2 * (t + 1) THEN CASE g % 5
                 WHEN 0 THEN 'crawler service answered ' || (500 + g % 4) || ' to POST http://crawler.internal:8080/api/crawl/batch?page=' || (g % 100)
                 WHEN 1 THEN 'timeout after ' || (30 + g % 5) || ' s waiting for job ' || md5(g::text)::uuid
                 WHEN 2 THEN 'database error: deadlock detected on relation ' || (16000 + g % 50)
                 WHEN 3 THEN 'email service rejected batch ' || lpad(g::text, 10, '0') || ': quota exceeded'
                 ELSE NULL END END,
               ts - ms * interval '1 millisecond' - interval '50 milliseconds', ts
          FROM (SELECT g, g % {{Types}} AS t, ((g / {{Types}}) * 7919) % 100 AS st,
                       200 * (g % {{Types}} + 1) * (1 + (g % 97) / 20.0) AS ms,
                       now() - (g * (interval '90 days' / {0})) AS ts
                  FROM generate_series(1, {0}) AS g) AS s
        """;

    public static Task RunAsync(BenchContext bench) =>
        bench.Report.RunSectionAsync("stats", "4b. Statistics API over a million executions", section => MeasureAsync(bench, section));

    private static async Task MeasureAsync(BenchContext bench, ReportSection section)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var rows = BenchOptions.StatsRows;
        await using (var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase))
        {
            var seeding = Stopwatch.StartNew();
            await connection.ExecuteAsync(SeedSql.Replace("{0}", rows.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), commandTimeout: 3600);
            await connection.ExecuteAsync($"{PgServer.Tag} VACUUM ANALYZE scheduled_jobs", commandTimeout: 1200);
            Report.Print($"seeded {rows} rows in {seeding.Elapsed.TotalSeconds:0.0} s");
            section.Json["seedSeconds"] = Math.Round(seeding.Elapsed.TotalSeconds, 1);
        }

        var settings = NodeSettings.Base(bench, connectionString).WithTypes(NodeSettings.Names("s", Types));
        var clock = Stopwatch.StartNew();
        await using var node = await bench.StartNodeAsync("stats-node", settings);
        await using var db = await bench.Server.OpenAsync(bench.Options.ServiceDatabase);
        // The node rolls up every closed hour at start (7 days a statement); wait until it has caught up.
        var target = DateTime.UtcNow.AddMinutes(-10);
        target = new DateTime(target.Ticks - target.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);
        while (await db.ExecuteScalarAsync<DateTime?>($"{PgServer.Tag} SELECT rolled_until FROM job_stats_rollup") is not { } rolled || rolled < target)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(20))
            {
                throw new TimeoutException("the node did not roll up the seeded history within 20 minutes");
            }

            await Task.Delay(250);
        }

        var rollupSeconds = clock.Elapsed.TotalSeconds;
        var rolledRows = await db.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT (SELECT count(*) FROM job_stats_runs) + (SELECT count(*) FROM job_stats_durations) + (SELECT count(*) FROM job_stats_failure_reasons)");
        await db.ExecuteAsync($"{PgServer.Tag} VACUUM ANALYZE job_stats_runs, job_stats_durations, job_stats_failure_reasons", commandTimeout: 600);
        Report.Print($"node started and rolled up {rows} executions into {rolledRows} rows in {rollupSeconds:0.0} s");
        section.Json["rollupSeconds"] = Math.Round(rollupSeconds, 1);
        section.Json["rollupRows"] = rolledRows;

        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var queries = new (string Name, DateTimeOffset From, string? Type, string Path)[]
        {
            ("last 24 h, every type (hour buckets)", now.AddHours(-24), null, $"/api/jobs/stats?from={Iso(now.AddHours(-24))}&to={Iso(now)}"),
            ("last 7 days, one type (hour buckets)", now.AddDays(-7), "s_3", $"/api/jobs/stats?from={Iso(now.AddDays(-7))}&to={Iso(now)}&type=s_3"),
            ("last 90 days, every type (day buckets)", now.AddDays(-90), null, $"/api/jobs/stats?from={Iso(now.AddDays(-90))}&to={Iso(now)}&bucket=day"),
        };

        var script = Path.Combine(bench.Options.WorkDirectory, "report.lua");
        await File.WriteAllTextAsync(script, HistoryApiScenario.WrkScript);
        var table = new List<string[]>();
        var results = new JsonArray();
        var worstP99At8 = 0.0;
        var worst = "";
        var wrong = 0;
        foreach (var (name, from, type, path) in queries)
        {
            var answer = (await node.Client.GetFromJsonAsync<JobStatsReport>(path, new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
            var counted = await db.ExecuteScalarAsync<long>($"""
                {PgServer.Tag} SELECT count(*) FROM scheduled_jobs
                 WHERE status IN ('completed', 'failed', 'cancelled', 'skipped') AND completed_at >= @from AND completed_at < @now
                   AND (@type::text IS NULL OR job_type = @type)
                """, new { from, now, type });
            var check = answer.Overall.Total == counted ? $"{counted} = SQL count" : $"**{answer.Overall.Total} ≠ SQL count {counted}**";
            wrong += answer.Overall.Total == counted ? 0 : 1;
            Report.Print($"{name}: total {check}; {answer.Overall.Series.Count} buckets, {answer.Overall.FailureReasons.Count} reasons");
            foreach (var connections in (int[])[1, 8])
            {
                var wrk = await HistoryApiScenario.WrkAsync(node, path, connections, bench.Options.WrkDuration, script, bench.AdminToken);
                table.Add(
                [
                    name, "`" + path + "`", connections.ToString(CultureInfo.InvariantCulture), Report.Format(wrk.RequestsPerSecond, "/s"),
                    Report.Format(wrk.P50Ms, "ms"), Report.Format(wrk.P99Ms, "ms"), (wrk.Errors + wrk.Non2xx).ToString(CultureInfo.InvariantCulture), check,
                ]);
                Report.Print($"{name} @{connections}: {wrk.RequestsPerSecond:0}/s p50 {wrk.P50Ms:0.00} ms p99 {wrk.P99Ms:0.00} ms, {wrk.Errors + wrk.Non2xx} errors");
                results.Add(new JsonObject
                {
                    ["query"] = name,
                    ["path"] = path,
                    ["connections"] = connections,
                    ["requestsPerSecond"] = Math.Round(wrk.RequestsPerSecond, 1),
                    ["p50Ms"] = Math.Round(wrk.P50Ms, 3),
                    ["p99Ms"] = Math.Round(wrk.P99Ms, 3),
                    ["errors"] = wrk.Errors + wrk.Non2xx,
                    ["totalCheck"] = check,
                });
                var p99 = wrk.Errors + wrk.Non2xx > 0 ? double.PositiveInfinity : wrk.P99Ms;
                if (connections == 8 && p99 >= worstP99At8)
                {
                    worstP99At8 = p99;
                    worst = name;
                }
            }
        }

        const string Settings = "production defaults, 1 node, history rolled up";
        bench.Report.Goal($"GET /api/jobs/stats at 8 connections over {rows:N0} executions (24 h, 7 days of one type, 90 days by day): worst p99", "≤ 100 ms",
            worstP99At8, 100, "ms", higherIsBetter: false, Settings, $"worst: {worst}");
        bench.Report.Goal("GET /api/jobs/stats totals exact", "0 wrong", wrong, 0, "", higherIsBetter: false, Settings, $"{queries.Length} totals compared with a SQL count");
        section.Json["rows"] = rows;
        section.Json["results"] = results;
        section.Text($"{rows:N0} executions seeded with one `INSERT … SELECT generate_series` ({Types} types, completion times spread over 90 days, "
            + "failure rates from 2 % to 16 % by type with five error texts carrying ids, numbers and URLs, typical durations 200 ms to 1.6 s), then `VACUUM ANALYZE`. "
            + $"A node started and rolled the closed hours up as it does in production (7 days of history a statement): {rollupSeconds:0.0} s from its start, "
            + $"{rolledRows:N0} rollup rows. Each query then ran for {bench.Options.WrkDuration.TotalSeconds:0} s at 1 connection (1 thread) and at 8 (2 threads) "
            + "with wrk; its answer's total was first compared with a SQL count of the same range.");
        section.Table(["query", "path", "connections", "requests/s", "p50", "p99", "errors", "total"], table);
    }

    private static string Iso(DateTimeOffset value) => HistoryApiScenario.Iso(value);
}
