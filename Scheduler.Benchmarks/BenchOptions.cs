using System.Globalization;

namespace Scheduler.Benchmarks;

/// <summary>
/// What one run measures and how much: <c>--quick</c> shrinks every size and duration so a run can be checked in minutes;
/// <c>--guard</c> is the regression guard, the quick sizes of the figures that show a regression (the service's costs per
/// execution on 1 and 2 nodes, bare Quartz's with the service's settings, idle trigger latency) and nothing else.
/// </summary>
internal sealed record BenchOptions
{
    public bool Quick { get; init; }

    public bool Guard { get; init; }

    /// <summary>The server's connection string (database <c>postgres</c>); <c>BENCH_SERVER</c> from ./bench.sh.</summary>
    public required string ServerConnectionString { get; init; }

    /// <summary>The service's Release build (<c>Scheduler.Service.dll</c> and its dependencies).</summary>
    public required string ServiceDirectory { get; init; }

    /// <summary>Where benchmarks.md and benchmarks.json go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Scratch space: the signing key, the nodes' logs, wrk's script.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Scenarios to run (all when empty).</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>The service's database and the peers' databases; ./bench.sh creates them.</summary>
    public string ServiceDatabase { get; init; } = "bench_scheduler";

    public string QuartzDatabase { get; init; } = "bench_quartz";

    public string HangfireDatabase { get; init; } = "bench_hangfire";

    // Sizes: full run / --quick.
    public int Executions => Quick ? 600 : 2000;

    /// <summary>Executions kept in flight by the throughput drivers (job types for the service: one active run per type).</summary>
    public static int InFlight => 50;

    public int LatencySamples => Quick ? 40 : 200;

    public TimeSpan CronWindow => Quick ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(5);

    public int HistoryRows => Quick ? 100_000 : 1_000_000;

    public TimeSpan WrkDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(10);

    public int FailoverRepetitions => Quick ? 2 : 5;

    public TimeSpan IdleWindow => Quick ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(30);

    public int LateJoinRepetitions => Quick ? 1 : 3;

    /// <summary>Executions the statistics scenario seeds, in every mode: the figure is about this size.</summary>
    public static int StatsRows => 1_000_000;

    public static readonly string[] Scenarios = ["throughput", "latency", "cron", "history", "stats", "failover", "idle"];

    public static BenchOptions Parse(string[] args)
    {
        var quick = false;
        var guard = false;
        string? output = null, serviceDirectory = null;
        var only = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--guard":
                    guard = quick = true;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--service-dir" when i + 1 < args.Length:
                    serviceDirectory = args[++i];
                    break;
                case "--only" when i + 1 < args.Length:
                    foreach (var name in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!Scenarios.Contains(name))
                        {
                            throw new ArgumentException($"--only: unknown scenario '{name}'; known: {string.Join(", ", Scenarios)}");
                        }

                        only.Add(name);
                    }

                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'. Usage: [--quick | --guard] [--out DIR] [--service-dir DIR] [--only {string.Join(",", Scenarios)}]");
            }
        }

        var server = Environment.GetEnvironmentVariable("BENCH_SERVER")
            ?? throw new ArgumentException("BENCH_SERVER (a connection string to the server's postgres database) is not set; run ./bench.sh");
        var work = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"scheduler-bench-{Environment.ProcessId}"));
        Directory.CreateDirectory(work);
        if (guard)
        {
            only = ["throughput", "latency"];
        }

        return new BenchOptions
        {
            Quick = quick,
            Guard = guard,
            ServerConnectionString = server,
            ServiceDirectory = Path.GetFullPath(serviceDirectory ?? "Scheduler.Service/bin/Release/net10.0"),
            // The guard's report goes with its scratch files unless asked for: docs/ keeps the last full run.
            OutputDirectory = Path.GetFullPath(output ?? (guard ? work : "docs")),
            WorkDirectory = work,
            Only = only,
        };
    }

    /// <summary>How the run was started, for the report.</summary>
    public string Command => Guard
        ? "./bench.sh --guard"
        : (Quick ? "./bench.sh --quick" : "./bench.sh") + (Only.Count == 0 ? "" : $" --only {string.Join(",", Scenarios.Where(Only.Contains))}");

    public bool Runs(string scenario) => Only.Count == 0 || Only.Contains(scenario);
}
