using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.Benchmarks.Peers;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 1. N executions recorded as production records them, on 1 and on 2 nodes, beside bare Quartz (with the service's
/// settings and at its best) and Hangfire.
/// The service allows one pending-or-running run per job type, so the driver keeps <c>InFlight</c> types busy:
/// each type is triggered through the API again as soon as its previous run has ended. Every run is the whole
/// production path: the API writes the pending row and the audit row and schedules the Quartz trigger; the
/// node claims the row, calls the stand-in, writes the outcome and the type's health.
/// </summary>
internal static class ThroughputScenario
{
    private const int TopStatements = 25;

    public static async Task RunAsync(BenchContext bench)
    {
        var section = bench.Report.Section("throughput", "1. Throughput: N no-op executions");
        var n = bench.Options.Executions;
        var k = BenchOptions.InFlight;
        var guard = bench.Options.Guard;
        var serviceSettings = bench.ServiceQuartz;
        var best = serviceSettings.Best();
        var results = new List<ThroughputResult>();
        ThroughputResult? one = null, two = null, bareLoop = null, bestLoop = null;
        try
        {
            one = await ServiceAsync(bench, nodes: 1, n, k);
            results.Add(one);
            two = await ServiceAsync(bench, nodes: 2, n, k);
            results.Add(two);
            bench.TwoNodeThroughput = two.PerSecond;

            // Each configuration starts from an empty store: the service's own Quartz schema (its migrations, applied by its migrate command).
            foreach (var settings in guard ? [serviceSettings] : new[] { serviceSettings, best })
            {
                await bench.Server.RecreateAsync(bench.Options.QuartzDatabase);
                await ServiceProcess.MigrateAsync(bench.Options.ServiceDirectory, bench.Server.ServiceConnectionString(bench.Options.QuartzDatabase));
                if (!guard)
                {
                    var (drain, scheduling) = await BareQuartz.DrainAsync(bench, settings, n);
                    Report.Print($"bare Quartz ({settings.Name}) scheduling: {scheduling:0}/s");
                    results.Add(drain);
                    Print(drain);
                }

                var loop = await BareQuartz.ClosedLoopAsync(bench, settings, n, k);
                results.Add(loop);
                Print(loop);
                if (ReferenceEquals(settings, serviceSettings))
                {
                    bareLoop = loop;
                }
                else
                {
                    bestLoop = loop;
                }
            }

            if (!guard)
            {
                try
                {
                    await bench.Server.RecreateAsync(bench.Options.HangfireDatabase);
                    var (hangfireDrain, hangfireLoop, enqueue) = await HangfirePeer.RunAsync(bench, serviceSettings.Threads, n, k);
                    Report.Print($"Hangfire enqueue: {enqueue:0}/s");
                    results.Add(hangfireDrain);
                    Print(hangfireDrain);
                    results.Add(hangfireLoop);
                    Print(hangfireLoop);
                    section.Json["hangfireEnqueuePerSecond"] = Math.Round(enqueue, 1);
                }
                catch (Exception ex)
                {
                    section.Failed(ex);
                }
            }
        }
        catch (Exception ex)
        {
            section.Failed(ex);
        }

        Goals(bench, one, two, bareLoop, bestLoop, k);
        Summarize(bench, one, two, bareLoop, bestLoop);

        section.Text($"N = {n} executions per row. The service's rows: {k} job types kept busy through `POST /api/jobs/trigger` "
            + "(one pending-or-running run per type is the service's rule), the next run of a type triggered as soon as the previous one ended, "
            + "alternating between the nodes. Each run is recorded exactly as in production (pending row and audit row written by the API, "
            + "Quartz trigger, claim, downstream call, outcome, type health). The driver learns that a run ended from one small query every 5 ms "
            + "(its statements and commits are subtracted). Commits are `pg_stat_database.xact_commit`, statements `pg_stat_statements.calls` "
            + "(including BEGIN/COMMIT) for that system's database, per execution. Duplicates: runs recorded or executed more than once; "
            + "lost: runs accepted but never completed.");
        section.Text($"Bare Quartz runs twice, each time in an empty store with the service's schema and a pool of 30: with the **service settings** "
            + $"(read from the service's `appsettings.json`: {serviceSettings.Describe()}) and at its **best** ({best.Describe()}: batch acquisition "
            + "on explicitly). Each does the drain (N one-shot triggers scheduled on standby, then started) and the closed loop "
            + $"({k} one-shot triggers outstanding, each scheduled when an earlier run finished). "
            + $"Hangfire: {HangfirePeer.Recommended}; {serviceSettings.Threads} workers, as many as the service's threads.");
        var reference = bareLoop;
        section.Table(
            ["system", "mode", "executions/s", "ratio to bare Quartz (service settings, closed loop)", "commits/execution", "statements/execution", "duplicates", "lost", "notes"],
            results.Select(r => new[]
            {
                r.System, r.Mode, Report.Format(r.PerSecond, "/s"),
                reference is null ? "n/a" : Report.Format(r.PerSecond / reference.PerSecond, "x"),
                r.CommitsPerExecution.ToString("0.0", CultureInfo.InvariantCulture),
                r.StatementsPerExecution.ToString("0.0", CultureInfo.InvariantCulture),
                r.Duplicates.ToString(CultureInfo.InvariantCulture), r.Lost.ToString(CultureInfo.InvariantCulture), r.Notes,
            }));
        List<(string Query, double PerExecution)> top = one is null ? [] : [.. one.Database.ByQuery.Take(TopStatements).Select(q => (q.Query, (double)q.Calls / n))];
        var sources = one is null ? [] : StatementSources.Group(one.Database.ByQuery);
        if (one is not null)
        {
            section.Text("Where the service's statements go (1 node), by source: every statement of the run, grouped by what its text touches "
                + "(the table is `StatementSources` in the benchmark's code; the first match wins). Commits cannot be attributed to a statement: "
                + "each BEGIN … COMMIT pair is one explicit transaction, and every statement outside one is its own commit, so "
                + "commits/execution ≈ COMMIT calls + the statements run outside a transaction.");
            section.Table(["source", "statements/execution", "share"], sources.Select(x => new[]
            {
                x.Source,
                ((double)x.Calls / n).ToString("0.00", CultureInfo.InvariantCulture),
                (100.0 * x.Calls / Math.Max(1, one.Database.Statements)).ToString("0", CultureInfo.InvariantCulture) + " %",
            }).Append(["all", one.StatementsPerExecution.ToString("0.00", CultureInfo.InvariantCulture), "100 %"]));
            section.Text($"Where the service's statements go (1 node, calls per execution, top {TopStatements}):");
            section.Table(["calls/execution", "source", "statement"], top.Select(t => new[]
            {
                t.PerExecution.ToString("0.00", CultureInfo.InvariantCulture),
                StatementSources.Of(t.Query),
                "`" + Shorten(t.Query) + "`",
            }));
        }

        section.Json["executions"] = n;
        section.Json["inFlight"] = k;
        section.Json["bareQuartzSettings"] = new JsonArray(serviceSettings.ToJson(), best.ToJson());
        section.Json["hangfireOptions"] = HangfirePeer.Recommended;
        section.Json["results"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
        {
            ["system"] = r.System,
            ["mode"] = r.Mode,
            ["executions"] = r.Executions,
            ["seconds"] = Math.Round(r.Elapsed.TotalSeconds, 2),
            ["executionsPerSecond"] = Math.Round(r.PerSecond, 1),
            ["commitsPerExecution"] = Math.Round(r.CommitsPerExecution, 2),
            ["statementsPerExecution"] = Math.Round(r.StatementsPerExecution, 2),
            ["duplicates"] = r.Duplicates,
            ["lost"] = r.Lost,
        })]);
        section.Json["serviceStatementsBySource"] = new JsonObject(sources.Select(x =>
            KeyValuePair.Create(x.Source, (JsonNode?)Math.Round((double)x.Calls / n, 3))));
        section.Json["serviceTopStatements"] = new JsonArray([.. top.Select(t => (JsonNode)new JsonObject
        {
            ["callsPerExecution"] = Math.Round(t.PerExecution, 3),
            ["source"] = StatementSources.Of(t.Query),
            ["query"] = t.Query,
        })]);
    }

    private static void Goals(BenchContext bench, ThroughputResult? one, ThroughputResult? two, ThroughputResult? bareLoop, ThroughputResult? bestLoop, int inFlight)
    {
        if (one is null)
        {
            return;
        }

        const string Settings = "production defaults, 1 node";
        if (bareLoop is not null)
        {
            bench.Report.Goal("executions/s with recording (1 node) vs bare Quartz with the service's settings, closed loop", "≥ 1.0×",
                one.PerSecond / bareLoop.PerSecond, 1.0, "x", higherIsBetter: true, Settings,
                $"{one.PerSecond:0}/s vs {bareLoop.PerSecond:0}/s, {inFlight} in flight each; bare Quartz: {bench.ServiceQuartz.Describe()}");
        }

        if (bestLoop is not null)
        {
            bench.Report.Goal("executions/s with recording (1 node) vs bare Quartz at its best, closed loop", "≥ 0.7×",
                one.PerSecond / bestLoop.PerSecond, 0.7, "x", higherIsBetter: true, Settings,
                $"{one.PerSecond:0}/s vs {bestLoop.PerSecond:0}/s; bare Quartz: {bench.ServiceQuartz.Best().Describe()}");
        }

        if (bareLoop is not null)
        {
            var target = bareLoop.CommitsPerExecution + 2;
            bench.Report.Goal("commits per recorded execution (1 node)", $"≤ bare Quartz's + 2 ({target:0.0})",
                one.CommitsPerExecution, target, "", higherIsBetter: false, Settings,
                $"bare Quartz (service settings, closed loop) {bareLoop.CommitsPerExecution:0.0}"
                + (two is null ? "" : $"; the service on 2 nodes {two.CommitsPerExecution:0.0}"));
        }
    }

    /// <summary>The figures the regression guard compares: costs per execution first (stable across machines), then rates.</summary>
    private static void Summarize(BenchContext bench, ThroughputResult? one, ThroughputResult? two, ThroughputResult? bareLoop, ThroughputResult? bestLoop)
    {
        foreach (var (name, result) in new[] { ("service, 1 node", one), ("service, 2 nodes", two), ("bare Quartz, service settings, closed loop", bareLoop), ("bare Quartz, best, closed loop", bestLoop) })
        {
            if (result is not null)
            {
                bench.Report.Summary($"{name}: commits / statements per execution",
                    string.Create(CultureInfo.InvariantCulture, $"{result.CommitsPerExecution:0.0} / {result.StatementsPerExecution:0.0}"));
            }
        }

        foreach (var (name, result) in new[] { ("service, 1 node", one), ("service, 2 nodes", two), ("bare Quartz, service settings, closed loop", bareLoop) })
        {
            if (result is not null)
            {
                bench.Report.Summary($"{name}: executions/s (this machine only)", Report.Format(result.PerSecond, "/s"));
            }
        }
    }

    private static async Task<ThroughputResult> ServiceAsync(BenchContext bench, int nodes, int count, int inFlight)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var types = NodeSettings.Names("tp", inFlight).ToList();
        var settings = NodeSettings.Base(bench, connectionString).WithTypes(types);
        var started = new List<ServiceProcess>();
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                started.Add(await bench.StartNodeAsync($"tp{nodes}-node-{i}", settings));
            }

            await using var active = await ActiveTypes.StartAsync(bench.Server, bench.Options.ServiceDatabase);
            // Warm-up: one run of each type (JIT, pools, the caller's id cache), then a pause so PostgreSQL has
            // flushed every connection's statistics (a backend flushes at most once a second, an idle one after 10 s).
            await DriveAsync(started, types, active, inFlight, new ConcurrentBag<Guid>());
            bench.StandIns.State.Reset();
            await Task.Delay(TimeSpan.FromSeconds(11));

            var before = await bench.Server.CountersAsync(bench.Options.ServiceDatabase);
            var pollsBefore = active.Polls;
            var ids = new ConcurrentBag<Guid>();
            using var sampling = new CancellationTokenSource();
            var rss = SampleRssAsync(started, bench, sampling.Token);
            var clock = Stopwatch.StartNew();
            await DriveAsync(started, types, active, count, ids);
            var elapsed = clock.Elapsed;
            var own = active.Polls - pollsBefore;
            await sampling.CancelAsync();
            await rss;
            await active.DisposeAsync();
            foreach (var node in started)
            {
                await node.StopAsync();
            }

            var delta = (await bench.Server.CountersAsync(bench.Options.ServiceDatabase)).Since(before, own);
            var (duplicates, lost) = await CheckAsync(bench, ids.ToArray(), count, inFlight);
            var result = new ThroughputResult("scheduler service", $"{nodes} node{(nodes > 1 ? "s" : "")}, {inFlight} types in flight", count, elapsed, delta, duplicates, lost,
                "through the API, recorded in scheduled_jobs");
            Print(result);
            return result;
        }
        finally
        {
            foreach (var node in started)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Runs <paramref name="count"/> executions, keeping each of <paramref name="types"/> busy, alternating between the nodes.</summary>
    private static async Task DriveAsync(List<ServiceProcess> nodes, IReadOnlyList<string> types, ActiveTypes active, int count, ConcurrentBag<Guid> ids)
    {
        var next = -1;
        await Task.WhenAll(types.Select(async type =>
        {
            for (var run = Interlocked.Increment(ref next); run < count; run = Interlocked.Increment(ref next))
            {
                var triggered = await Api.RunAsync(nodes[run % nodes.Count], type, active, TimeSpan.FromMinutes(2));
                ids.Add(triggered.Id!.Value);
            }
        }));
    }

    private static async Task SampleRssAsync(List<ServiceProcess> nodes, BenchContext bench, CancellationToken cancellationToken)
    {
        var max = new double[nodes.Count];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                for (var i = 0; i < nodes.Count; i++)
                {
                    var rss = nodes[i].ResidentMiB();
                    if (rss > max[i])
                    {
                        max[i] = rss;
                    }
                }

                await Task.Delay(500, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Sampling ends with the run.
        }

        foreach (var rss in max.Where(m => m > 0))
        {
            bench.LoadedRss.Add(rss);
        }
    }

    /// <summary>
    /// Every accepted run has exactly one row, completed; the benchmark's types have no other rows; and the stand-in
    /// saw one call per run (by the Idempotency-Key the job derives from the execution id).
    /// </summary>
    private static async Task<(int Duplicates, int Lost)> CheckAsync(BenchContext bench, Guid[] ids, int count, int warmUpRuns)
    {
        await using var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase);
        var completed = await connection.ExecuteScalarAsync<long>(
            $"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs WHERE id = ANY(@ids) AND status = 'completed'", new { ids });
        var rows = await connection.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs WHERE job_type LIKE 'tp\\_%'");
        var calls = bench.StandIns.State.Requests
            .Where(r => r.Path.StartsWith("/v1/admin/bench/tp_", StringComparison.Ordinal))
            .GroupBy(r => r.Headers.GetValueOrDefault("Idempotency-Key"))
            .ToList();
        var doubledCalls = calls.Count(g => g.Count() > 1);
        var extraRows = rows - warmUpRuns - ids.Length;
        var lost = count - (int)completed + Math.Max(0, count - ids.Length);
        var missingCalls = count - calls.Count;
        Report.Print($"check: {completed}/{count} completed, {rows - warmUpRuns} rows, {calls.Count} distinct downstream calls, {doubledCalls} repeated, {missingCalls} missing");
        return ((int)Math.Max(0, extraRows) + doubledCalls, Math.Max(lost, Math.Max(0, missingCalls)));
    }

    private static void Print(ThroughputResult r) => Report.Print(
        $"{r.System} [{r.Mode}]: {r.PerSecond:0.0} executions/s ({r.Executions} in {r.Elapsed.TotalSeconds:0.00} s), "
        + $"{r.CommitsPerExecution:0.0} commits and {r.StatementsPerExecution:0.0} statements per execution, {r.Duplicates} duplicates, {r.Lost} lost");

    internal static string Shorten(string query)
    {
        var flat = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries)).Replace("|", "\\|", StringComparison.Ordinal);
        return flat.Length <= 140 ? flat : flat[..137] + "...";
    }
}
