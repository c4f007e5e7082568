using System.Diagnostics;
using System.Globalization;
using Scheduler.Benchmarks;
using Scheduler.Benchmarks.Infrastructure;
using Scheduler.Benchmarks.Scenarios;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var clock = Stopwatch.StartNew();
await using var bench = await BenchContext.CreateAsync(options);
Report.Print($"benchmark{(options.Guard ? " (regression guard)" : options.Quick ? " (quick)" : "")}: scenarios {(options.Only.Count == 0 ? "all" : string.Join(", ", options.Only))}; work directory {options.WorkDirectory}");

var scenarios = new (string Name, Func<BenchContext, Task> Run)[]
{
    ("throughput", ThroughputScenario.RunAsync),
    ("latency", TriggerLatencyScenario.RunAsync),
    ("cron", CronPunctualityScenario.RunAsync),
    ("history", HistoryApiScenario.RunAsync),
    ("stats", StatsApiScenario.RunAsync),
    ("failover", FailoverScenario.RunAsync),
    ("idle", LateJoinAndIdleScenario.RunAsync),
};
foreach (var (name, run) in scenarios.Where(s => options.Runs(s.Name)))
{
    var deadlocks = await bench.Server.DeadlocksAsync();
    await run(bench);
    bench.Report.Deadlocks(name, await bench.Server.DeadlocksAsync() - deadlocks);
    await bench.Report.WriteAsync();
}

bench.Report.PrintSummary();
Report.Print($"done in {clock.Elapsed.TotalMinutes:0.0} min; wrote {Path.Combine(options.OutputDirectory, "benchmarks.md")} and benchmarks.json");
return 0;
