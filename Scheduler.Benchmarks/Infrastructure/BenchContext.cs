using System.Collections.Concurrent;
using Scheduler.StandIns;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>What every scenario shares: options, the server, tokens, the stand-ins, the report and figures other scenarios need.</summary>
internal sealed class BenchContext : IAsyncDisposable
{
    private BenchContext(BenchOptions options, PgServer server, Tokens tokens, StandInApp standIns, Report report)
    {
        Options = options;
        Server = server;
        Tokens = tokens;
        StandIns = standIns;
        Report = report;
    }

    public BenchOptions Options { get; }

    public PgServer Server { get; }

    public Tokens Tokens { get; }

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
        var standIns = await StandInApp.StartAsync("http://127.0.0.1:0");
        var report = new Report(options, await Machine.DescribeAsync(server));
        return new BenchContext(options, server, new Tokens(options.WorkDirectory), standIns, report);
    }

    /// <summary>A fresh, migrated service database (migrated by the service's own <c>migrate</c> command).</summary>
    public async Task<string> FreshServiceDatabaseAsync()
    {
        await Server.RecreateAsync(Options.ServiceDatabase);
        var connectionString = Server.ServiceConnectionString(Options.ServiceDatabase);
        await ServiceNode.MigrateAsync(Options.ServiceDirectory, connectionString);
        return connectionString;
    }

    public async ValueTask DisposeAsync()
    {
        await StandIns.DisposeAsync();
        Tokens.Dispose();
    }
}
