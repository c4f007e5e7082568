using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.StandIns;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Scenarios;

/// <summary>
/// 5. Two nodes under load with recoverable 2 s runs (HTTP-call types whose stand-in endpoint answers after 2 s);
/// one node is killed with SIGKILL at a random moment, several times, with production defaults and with the tests'
/// fast cluster settings. Each time: kill → its running rows end "runner lost", kill → the first and the last
/// recovery run starts; afterwards: rows left running, runs completed twice, runs never completed.
/// </summary>
internal static class FailoverScenario
{
    private const int Types = 12;

    /// <summary>How long after detection a lost run may take to be re-run before it counts as not recovered.</summary>
    private static readonly TimeSpan RecoveryGrace = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(BenchContext bench)
    {
        var section = bench.Report.Section("failover", "5. Failover: kill -9 one of two nodes under load");
        var table = new List<string[]>();
        var summary = new List<string[]>();
        foreach (var (profile, extra) in new[] { ("production defaults", new Dictionary<string, string>()), ("fast settings", new Dictionary<string, string>(NodeSettings.Fast)) })
        {
            try
            {
                await ProfileAsync(bench, section, profile, extra, table, summary);
            }
            catch (Exception ex)
            {
                section.Failed(ex);
            }
        }

        section.Text($"{Types} recoverable HTTP-call types, each run held 2 s by the stand-in (`Fault(DelayMs: 2000)`), kept busy through the API on both nodes "
            + $"(about {Types / 2} runs in flight per node); {bench.Options.FailoverRepetitions} kills per settings profile, the moment drawn at random 3–7 s into the load, "
            + "the killed node replaced by a new one (new runner id) before the next kill. Detection: the killed node's running rows have all ended `failed` \"runner lost\". "
            + "Recovered: the `recovery` rows Quartz's recovery starts on the survivor. Doubled: logical runs (`root_id`) completed more than once, "
            + "or downstream calls with the same Idempotency-Key answered in full twice. Lost: accepted runs that never completed. "
            + $"A lost run not re-run within {RecoveryGrace.TotalSeconds:0} s of detection counts as not re-run.");
        section.Table(["settings", "kill", "runs lost with the node", "kill → detection (all rows)", "kill → first recovered run", "kill → last recovered run", "left running"], table);
        section.Table(["settings", "kills", "worst kill → all recovered", "lost runs never re-run", "rows left running", "completed runs doubled", "accepted runs never completed"], summary);
    }

    private static async Task ProfileAsync(BenchContext bench, ReportSection section, string profile, Dictionary<string, string> extra,
        List<string[]> table, List<string[]> summary)
    {
        var connectionString = await bench.FreshServiceDatabaseAsync();
        var types = NodeSettings.Names("fo", Types).ToList();
        var settings = NodeSettings.Base(bench, connectionString).WithTypes(types).With(extra);
        bench.StandIns.State.Reset();
        foreach (var type in types)
        {
            bench.StandIns.State.SetFault("POST", NodeSettings.PathOf(type), new Fault(DelayMs: 2000));
        }

        var fast = extra.Count > 0;
        var settle = fast ? TimeSpan.FromSeconds(45) : TimeSpan.FromSeconds(120);
        var nodes = new List<ServiceProcess>();
        var dead = new List<ServiceProcess>();
        var triggered = new ConcurrentBag<Guid>();
        var kills = new JsonArray();
        var worstAllRecovered = 0.0;
        var leftRunning = 0L;
        var unrecovered = 0;
        var spawned = 0;
        try
        {
            await using var active = await ActiveTypes.StartAsync(bench.Server, bench.Options.ServiceDatabase);
            await using var connection = await bench.Server.OpenAsync(bench.Options.ServiceDatabase);
            for (var rep = 0; rep < bench.Options.FailoverRepetitions; rep++)
            {
                while (nodes.Count < 2)
                {
                    nodes.Add(await bench.StartNodeAsync($"fo-{(fast ? "fast" : "dflt")}-{spawned++}", settings));
                }

                using var stop = new CancellationTokenSource();
                var load = LoadAsync(nodes.ToArray(), types, active, triggered, stop.Token);
                await Task.Delay(TimeSpan.FromMilliseconds(3000 + bench.Random.Next(4000)));

                var victim = nodes[rep % 2];
                var killedAt = DateTimeOffset.UtcNow;
                await victim.KillAsync();
                nodes.Remove(victim);
                dead.Add(victim);
                var lost = (await connection.QueryAsync<Guid>(
                    $"{PgServer.Tag} SELECT id FROM scheduled_jobs WHERE runner_id = @runner AND status = 'running'", new { runner = victim.RunnerId })).ToArray();

                // Detection: every lost row has left 'running'. Then wait for a recovery row per lost run, but not
                // forever: a run Quartz does not re-run within the grace after detection counts as not recovered.
                double detection = double.NaN, firstRecovery = double.NaN, lastRecovery = double.NaN;
                var recovered = 0;
                DateTimeOffset? detectedSeen = null;
                var deadline = DateTimeOffset.UtcNow + settle;
                while (DateTimeOffset.UtcNow < deadline)
                {
                    var state = (await connection.QueryAsync<(Guid Id, string Status, DateTime? CompletedAt)>(
                        $"{PgServer.Tag} SELECT id, status, completed_at FROM scheduled_jobs WHERE id = ANY(@lost)", new { lost })).ToList();
                    var recoveries = (await connection.QueryAsync<(Guid RetryOf, DateTime StartedAt)>(
                        $"{PgServer.Tag} SELECT retry_of, started_at FROM scheduled_jobs WHERE trigger = 'recovery' AND retry_of = ANY(@lost)", new { lost })).ToList();
                    if (detectedSeen is null && state.All(s => s.Status != "running"))
                    {
                        detectedSeen = DateTimeOffset.UtcNow;
                        detection = lost.Length == 0 ? 0 : state.Max(s => (Utc(s.CompletedAt!.Value) - killedAt).TotalSeconds);
                    }

                    recovered = recoveries.Count;
                    if (recoveries.Count > 0)
                    {
                        firstRecovery = recoveries.Min(r => (Utc(r.StartedAt) - killedAt).TotalSeconds);
                        lastRecovery = recoveries.Count >= lost.Length ? recoveries.Max(r => (Utc(r.StartedAt) - killedAt).TotalSeconds) : double.NaN;
                    }

                    if (detectedSeen is { } seen && (recoveries.Count >= lost.Length || DateTimeOffset.UtcNow - seen > RecoveryGrace))
                    {
                        break;
                    }

                    await Task.Delay(100);
                }

                if (lost.Length == 0)
                {
                    firstRecovery = lastRecovery = 0;
                }

                unrecovered += lost.Length - recovered;
                await stop.CancelAsync();
                await load;
                var stillRunning = await connection.ExecuteScalarAsync<long>(
                    $"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs WHERE runner_id = @runner AND status = 'running'", new { runner = victim.RunnerId });
                leftRunning += stillRunning;
                worstAllRecovered = double.IsNaN(lastRecovery) ? double.PositiveInfinity : Math.Max(worstAllRecovered, lastRecovery);
                table.Add(
                [
                    profile, (rep + 1).ToString(CultureInfo.InvariantCulture), $"{lost.Length} ({recovered} re-run)",
                    Report.Format(detection, "s"), Report.Format(firstRecovery, "s"), Report.Format(lastRecovery, "s"),
                    stillRunning.ToString(CultureInfo.InvariantCulture),
                ]);
                kills.Add(new JsonObject
                {
                    ["runsLost"] = lost.Length,
                    ["runsRecovered"] = recovered,
                    ["detectionSeconds"] = Round(detection),
                    ["firstRecoveredSeconds"] = Round(firstRecovery),
                    ["lastRecoveredSeconds"] = Round(lastRecovery),
                    ["leftRunning"] = stillRunning,
                });
                Report.Print($"{profile} kill {rep + 1}: {lost.Length} runs lost, {recovered} re-run; detection {detection:0.0} s, first recovery {firstRecovery:0.0} s, last {lastRecovery:0.0} s, {stillRunning} left running");
            }

            // Let what is still in flight finish before counting.
            await Task.Delay(TimeSpan.FromSeconds(fast ? 8 : 15));
            var ids = triggered.ToArray();
            var doubledRows = await connection.ExecuteScalarAsync<long>($$"""
                {{PgServer.Tag}} SELECT count(*) FROM (
                  SELECT COALESCE(root_id, id) FROM scheduled_jobs WHERE job_type LIKE 'fo\_%' AND status = 'completed'
                   GROUP BY 1 HAVING count(*) > 1) AS doubled
                """);
            var doubledCalls = bench.StandIns.State.Requests
                .Where(r => r.Path.StartsWith("/v1/admin/bench/fo_", StringComparison.Ordinal) && !r.Aborted)
                .GroupBy(r => r.Headers.GetValueOrDefault("Idempotency-Key"))
                .Count(g => g.Count() > 1);
            var neverCompleted = await connection.ExecuteScalarAsync<long>($$"""
                {{PgServer.Tag}} SELECT count(*) FROM unnest(@ids) AS t(id)
                 WHERE NOT EXISTS (SELECT 1 FROM scheduled_jobs s WHERE COALESCE(s.root_id, s.id) = t.id AND s.status = 'completed')
                """, new { ids });
            leftRunning = await connection.ExecuteScalarAsync<long>(
                $"{PgServer.Tag} SELECT count(*) FROM scheduled_jobs WHERE runner_id = ANY(@dead) AND status = 'running'", new { dead = dead.Select(d => d.RunnerId).ToArray() });
            summary.Add(
            [
                profile, bench.Options.FailoverRepetitions.ToString(CultureInfo.InvariantCulture), (double.IsInfinity(worstAllRecovered) ? "not all re-run" : Report.Format(worstAllRecovered, "s")),
                unrecovered.ToString(CultureInfo.InvariantCulture), leftRunning.ToString(CultureInfo.InvariantCulture), $"{doubledRows} rows, {doubledCalls} downstream calls",
                $"{neverCompleted} of {ids.Length}",
            ]);
            Report.Print($"{profile}: worst kill → all recovered {worstAllRecovered:0.0} s, {leftRunning} left running, {doubledRows} doubled rows, {doubledCalls} doubled calls, {neverCompleted} of {ids.Length} never completed");
            section.Json[fast ? "fast" : "defaults"] = new JsonObject
            {
                ["settings"] = fast ? new JsonObject(NodeSettings.Fast.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) : "production defaults",
                ["kills"] = kills,
                ["worstAllRecoveredSeconds"] = Round(worstAllRecovered),
                ["leftRunning"] = leftRunning,
                ["doubledCompletedRuns"] = doubledRows,
                ["doubledDownstreamCalls"] = doubledCalls,
                ["lostRuns"] = neverCompleted,
                ["lostRunsNotReRun"] = unrecovered,
                ["acceptedRuns"] = ids.Length,
            };
            // Only production defaults carry goals; the fast settings are measured beside them for comparison.
            if (!fast)
            {
                const string Goal = "failover, production defaults, kill -9 → every lost run re-run";
                const string Settings = "production defaults, 2 nodes";
                var repetitions = $"{bench.Options.FailoverRepetitions} kills";
                bench.Report.Goal($"{Goal}: worst kill", "≤ 10 s", worstAllRecovered, 10, "s", higherIsBetter: false, Settings,
                    $"worst of {repetitions}; {unrecovered} lost runs not re-run within {RecoveryGrace.TotalSeconds:0} s of detection");
                bench.Report.Goal($"{Goal}: doubled", "0", doubledRows + doubledCalls, 0, "", higherIsBetter: false, Settings,
                    $"{repetitions}: {doubledRows} logical runs completed twice, {doubledCalls} downstream calls answered twice");
                bench.Report.Goal($"{Goal}: stuck", "0", leftRunning + neverCompleted, 0, "", higherIsBetter: false, Settings,
                    $"{repetitions}: {leftRunning} rows of the killed nodes left running, {neverCompleted} of {ids.Length} accepted runs never completed");
            }
        }
        finally
        {
            foreach (var node in nodes.Concat(dead))
            {
                await node.DisposeAsync();
            }

            bench.StandIns.State.Reset();
        }
    }

    /// <summary>Keeps every type busy until cancelled, triggering on whichever node is alive; returns when every driver has stopped.</summary>
    private static async Task LoadAsync(ServiceProcess[] nodes, IReadOnlyList<string> types, ActiveTypes active, ConcurrentBag<Guid> triggered, CancellationToken stop)
    {
        var turn = 0;
        await Task.WhenAll(types.Select(async type =>
        {
            for (var round = 0; round < 10_000 && !stop.IsCancellationRequested; round++)
            {
                var node = nodes.Where(n => !n.HasExited).ElementAtOrDefault(Interlocked.Increment(ref turn) % 2)
                    ?? nodes.FirstOrDefault(n => !n.HasExited);
                if (node is null)
                {
                    return;
                }

                try
                {
                    var run = await Api.TriggerAsync(node, type);
                    if (run.Id is { } id)
                    {
                        triggered.Add(id);
                    }

                    await active.WaitUntilIdleAsync(type, run.AnsweredTimestamp, TimeSpan.FromMinutes(3));
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(50, CancellationToken.None);
                }
                catch (Exception ex) when (ex is TaskCanceledException or TimeoutException)
                {
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static double? Round(double value) => double.IsFinite(value) ? Math.Round(value, 2) : null;
}
