using System.Collections.Concurrent;
using Scheduler.StandIns;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>What every scenario shares: options, the server, tokens, the stand-ins, the report and figures other scenarios need.</summary>
internal sealed class BenchContext : IAsyncDisposable
{
    private BenchContext(BenchOptions options, PgServer server, LocalTokens tokens, StandInApp standIns, Report report, QuartzSettings serviceQuartz)
    {
        Options = options;
        ServiceQuartz = serviceQuartz;
        Server = server;
        Tokens = tokens;
        AdminToken = tokens.Mint("bench-admin", [LocalTokens.AdminRole], TimeSpan.FromHours(6));
        StandIns = standIns;
        Report = report;
    }

    public BenchOptions Options { get; }

    public PgServer Server { get; }

    /// <summary>The Quartz settings the service runs with (its built appsettings.json).</summary>
    public QuartzSettings ServiceQuartz { get; }

    public LocalTokens Tokens { get; }

    /// <summary>The token the drivers call the API with, valid longer than any run.</summary>
    public string AdminToken { get; }

    public StandInApp StandIns { get; }

    public Report Report { get; }

    /// <summary>Every node's start-up time (process start to /readyz 200), in ms.</summary>
    public ConcurrentBag<double> StartupTimes { get; } = [];

    /// <summary>Resident memory of loaded nodes, in MiB.</summary>
    public ConcurrentBag<double> LoadedRss { get; } = [];

    /// <summary>The 2-node sustained throughput (executions/s), for the latency scenario's background load.</summary>
    public double? TwoNodeThroughput { get; set; }

    /// <summary>Fixed, so two runs choose the same "random" kill moments.</summary>
    public Random Random { get; } = new(20261109);

    public static async Task<BenchContext> CreateAsync(BenchOptions options)
    {
        var server = new PgServer(options.ServerConnectionString);
        await server.EnsureStatementStatisticsAsync();
        var serviceQuartz = QuartzSettings.OfService(options.ServiceDirectory);
        var standIns = await StandInApp.StartAsync("http://127.0.0.1:0");
        var report = new Report(options, await Machine.DescribeAsync(server), await CodeVersion.DescribeAsync(), serviceQuartz);
        return new BenchContext(options, server, new LocalTokens(Path.Combine(options.WorkDirectory, "signing-key.pub.pem")), standIns, report, serviceQuartz);
    }

    /// <summary>A fresh, migrated service database (migrated by the service's own <c>migrate</c> command).</summary>
    public async Task<string> FreshServiceDatabaseAsync()
    {
        await Server.RecreateAsync(Options.ServiceDatabase);
        var connectionString = Server.ServiceConnectionString(Options.ServiceDatabase);
        await ServiceProcess.MigrateAsync(Options.ServiceDirectory, connectionString);
        return connectionString;
    }

    /// <summary>
    /// Starts a node with <paramref name="settings"/>, its output in a log file in the work directory (none of it through
    /// this process), and records its start-up time.
    /// </summary>
    public async Task<ServiceProcess> StartNodeAsync(string runnerId, IReadOnlyDictionary<string, string> settings)
    {
        var node = await ServiceProcess.StartAsync(new ServiceProcessStart(
            Options.ServiceDirectory,
            runnerId,
            settings.ToDictionary(kv => kv.Key, string? (kv) => kv.Value),
            AdminToken,
            Path.Combine(Options.WorkDirectory, $"node-{runnerId}.log"))
        {
            ReadyWithin = TimeSpan.FromSeconds(90),
            StopWithin = TimeSpan.FromMinutes(1),
        });
        StartupTimes.Add(node.StartupTime.TotalMilliseconds);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await StandIns.DisposeAsync();
        Tokens.Dispose();
    }
}
