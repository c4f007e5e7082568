using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 3. Two nodes, 10 every-second crons and 100 every-minute crons (HTTP-call types against the stand-in), for the
/// window: lateness = <c>started_at − scheduled_for</c> of each recorded occurrence, skipped rows by reason, and
/// occurrences in the window with no row at all (misfired: Quartz fired one late occurrence for several, or none).
/// </summary>
internal static class CronPunctualityScenario
{
    public static Task RunAsync(BenchContext bench) =>
        bench.Report.RunSectionAsync("cron", "3. Cron punctuality: 2 nodes, 10 every-second + 100 every-minute crons", section => MeasureAsync(bench, section));

    private static async Task MeasureAsync(BenchContext bench, ReportSection section)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var everySecond = NodeSettings.Names("cs", 10).ToList();
        var everyMinute = NodeSettings.Names("cm", 100).ToList();
        var settings = NodeSettings.Base(bench, connectionString).WithTypes(everySecond, "* * * * * ?").WithTypes(everyMinute, "0 * * * * ?");
        DateTimeOffset from, to;
        await using (var nodeA = await bench.StartNodeAsync("cron-node-a", settings))
        await using (var nodeB = await bench.StartNodeAsync("cron-node-b", settings))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            var now = DateTimeOffset.UtcNow;
            from = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);
            to = from + bench.Options.CronWindow;
            Report.Print($"window {from:HH:mm:ss} to {to:HH:mm:ss}");
            await Task.Delay(to - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));
            await nodeA.StopAsync();
            await nodeB.StopAsync();
        }

        await using var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase);
        var rows = (await connection.QueryAsync<(Guid Id, string JobType, DateTime ScheduledFor, DateTime? StartedAt, string Status, string? Failure, string? RunnerId)>($"""
            {PgServer.Tag} SELECT id, job_type, scheduled_for, started_at, status, result->'details'->>'failure', runner_id
              FROM scheduled_jobs
             WHERE trigger = 'cron' AND scheduled_for >= @from AND scheduled_for < @to
            """, new { from, to })).ToList();

        var calls = bench.StandIns.State.Requests
            .Where(r => r.Path.StartsWith("/v1/admin/bench/c", StringComparison.Ordinal))
            .GroupBy(r => r.Headers.GetValueOrDefault("Idempotency-Key") ?? "")
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var minutes = Enumerable.Range(0, (int)(to - from).TotalSeconds).Count(s => from.AddSeconds(s).Second == 0);
        var table = new List<string[]>();
        foreach (var (name, types, expectedPerType) in new[]
        {
            ("every second (10 types)", everySecond, (int)(to - from).TotalSeconds),
            ("every minute (100 types)", everyMinute, minutes),
            ("all", everySecond.Concat(everyMinute).ToList(), -1),
        })
        {
            var mine = rows.Where(r => types.Contains(r.JobType)).ToList();
            var expected = expectedPerType >= 0 ? expectedPerType * types.Count : (int)(to - from).TotalSeconds * everySecond.Count + minutes * everyMinute.Count;
            var distinct = mine.Select(r => (r.JobType, r.ScheduledFor)).Distinct().Count();
            var lateness = new Stats(mine.Where(r => r.StartedAt is not null).Select(r => (r.StartedAt!.Value - r.ScheduledFor).TotalMilliseconds));
            var skipped = mine.Where(r => r.Status == "skipped").GroupBy(r => r.Failure ?? "other").ToDictionary(g => g.Key, g => g.Count());
            var missing = expected - distinct;
            // Doubled: an occurrence recorded twice, or a recorded run whose downstream call was made twice.
            var ids = mine.Where(r => r.StartedAt is not null).Select(r => $"{r.JobType}:{r.Id}").ToHashSet(StringComparer.Ordinal);
            var doubledCalls = calls.Count(c => ids.Contains(c.Key) && c.Value > 1);
            var duplicates = mine.Count - distinct + doubledCalls;
            table.Add(
            [
                name, expected.ToString(CultureInfo.InvariantCulture), mine.Count.ToString(CultureInfo.InvariantCulture),
                Report.Format(lateness.P50, "ms"), Report.Format(lateness.P95, "ms"), Report.Format(lateness.P99, "ms"), Report.Format(lateness.Max, "ms"),
                lateness.PercentAtMost(50).ToString("0.0", CultureInfo.InvariantCulture) + " %",
                skipped.Count == 0 ? "0" : string.Join(", ", skipped.Select(kv => $"{kv.Value} {kv.Key}")),
                missing.ToString(CultureInfo.InvariantCulture), duplicates.ToString(CultureInfo.InvariantCulture),
            ]);
            Report.Print($"{name}: {mine.Count}/{expected} recorded, lateness p50 {lateness.P50:0.0} p99 {lateness.P99:0.0} max {lateness.Max:0.0} ms, {lateness.PercentAtMost(50):0.0}% within 50 ms, skipped {skipped.Values.Sum()}, missing {missing}, duplicates {duplicates}");
            section.Json[name.Split(' ')[0] == "all" ? "all" : name.StartsWith("every second", StringComparison.Ordinal) ? "everySecond" : "everyMinute"] = new JsonObject
            {
                ["expected"] = expected,
                ["recorded"] = mine.Count,
                ["latenessP50Ms"] = Round(lateness.P50),
                ["latenessP95Ms"] = Round(lateness.P95),
                ["latenessP99Ms"] = Round(lateness.P99),
                ["latenessMaxMs"] = Round(lateness.Max),
                ["percentWithin50Ms"] = Round(lateness.PercentAtMost(50)),
                ["skipped"] = skipped.Values.Sum(),
                ["missing"] = missing,
                ["duplicates"] = duplicates,
            };
            if (name == "all")
            {
                const string Goal = "cron, 2 nodes, 10 every-second + 100 every-minute crons";
                const string Settings = "production defaults, 2 nodes";
                var window = $"{(to - from).TotalMinutes:0.#} min window, {expected} occurrences due";
                bench.Report.Goal($"{Goal}: lateness p99", "≤ 50 ms", lateness.P99, 50, "ms", higherIsBetter: false, Settings,
                    $"{lateness.PercentAtMost(50):0.0} % within 50 ms, {skipped.Values.Sum()} skipped; {window}");
                bench.Report.Goal($"{Goal}: missing occurrences", "0", missing, 0, "", higherIsBetter: false, Settings, window);
                bench.Report.Goal($"{Goal}: doubled occurrences", "0", duplicates, 0, "", higherIsBetter: false, Settings, window);
            }
        }

        var byNode = rows.GroupBy(r => r.RunnerId ?? "?").Select(g => $"{g.Key}: {g.Count()}");
        section.Json["windowSeconds"] = (to - from).TotalSeconds;
        section.Text($"Window {from:HH:mm:ss}–{to:HH:mm:ss} UTC ({(to - from).TotalMinutes:0.#} min), production defaults, both nodes started before it. "
            + $"Occurrences per node: {string.Join(", ", byNode)}. Skipped: recorded `skipped` (overlap: the previous run of the type was still active; "
            + "misfire: past its misfire grace). Missing: occurrences in the window with no row at all. "
            + "Duplicates: an occurrence recorded more than once, or a recorded run whose downstream call (by its Idempotency-Key) was made more than once.");
        section.Table(["crons", "occurrences due", "recorded", "lateness p50", "p95", "p99", "max", "within 50 ms", "skipped", "missing", "duplicates"], table);
    }

    private static double? Round(double value) => double.IsFinite(value) ? Math.Round(value, 2) : null;
}
