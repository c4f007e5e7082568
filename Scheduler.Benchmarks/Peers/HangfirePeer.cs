using System.Diagnostics;
using Dapper;
using Hangfire;
using Hangfire.PostgreSql;
using Npgsql;
using Scheduler.Benchmarks.Infrastructure;

namespace Scheduler.Benchmarks.Peers;

/// <summary>
/// Hangfire 1.8 with Hangfire.PostgreSql 1.21.1 in this process, configured as their documentation recommends
/// (<see cref="Recommended"/>), as many workers as the service has threads, a job that does nothing.
/// </summary>
internal static class HangfirePeer
{
    /// <summary>What the report says was set, beside the result rows.</summary>
    public const string Recommended =
        "SetDataCompatibilityLevel(Version_180), UseSimpleAssemblyNameTypeSerializer, UseRecommendedSerializerSettings; "
        + "storage: its defaults (PrepareSchemaIfNecessary; long polling off: with it on, one job of 2000 stayed fetched and never ran)";

    public static async Task<(ThroughputResult Drain, ThroughputResult Loop, double EnqueuePerSecond)> RunAsync(BenchContext bench, int workers, int count, int inFlight)
    {
        var database = bench.Options.HangfireDatabase;
        // Process-wide, as Hangfire applies them; nothing else in this process uses Hangfire.
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
        // Long polling (EnableLongPolling) was tried: in a run of 2000 jobs one stayed fetched and never ran, so the
        // storage keeps its defaults. A pool larger than the workers, so none waits for a connection.
        var options = new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true };
        var storage = new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(
            bench.Server.ConnectionString(database, maxPool: workers + 10), options), options);
        NpgsqlConnection.ClearAllPools();
        var client = new BackgroundJobClient(storage);

        // Drain: enqueue N with no server, then start one and time until every job has succeeded.
        PeerRuns.Reset();
        var before = await bench.Server.CountersAsync(database);
        var clock = Stopwatch.StartNew();
        // One at a time: eight concurrent enqueuers stalled inside their transactions until Npgsql's 30 s timeout here.
        for (var run = 0; run < count; run++)
        {
            var id = run;
            client.Enqueue(() => NoopJob.Run(id));
        }

        var enqueueRate = count / clock.Elapsed.TotalSeconds;
        clock.Restart();
        long own;
        using (var server = StartServer(storage, workers))
        {
            await PeerRuns.WaitForExecutedAsync(count, TimeSpan.FromMinutes(10));
            own = await WaitForSucceededAsync(bench, database, count);
            server.SendStop();
        }

        var drained = clock.Elapsed;
        NpgsqlConnection.ClearAllPools();
        var (duplicates, lost) = PeerRuns.Check(count);
        var drain = new ThroughputResult("Hangfire.PostgreSql 1.21.1", "drain", count, drained,
            (await bench.Server.CountersAsync(database)).Since(before, own), duplicates, lost,
            $"N jobs enqueued with no server (one at a time), then a server with {workers} workers started; time until all N are Succeeded; commits and statements include the enqueueing");

        // Closed loop: inFlight jobs outstanding, each enqueued as an earlier one finishes.
        PeerRuns.Reset();
        before = await bench.Server.CountersAsync(database);
        using (var server = StartServer(storage, workers))
        {
            var next = -1;
            clock.Restart();
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                for (var run = Interlocked.Increment(ref next); run < count; run = Interlocked.Increment(ref next))
                {
                    var done = PeerRuns.WaitFor(run);
                    var id = run;
                    client.Enqueue(() => NoopJob.Run(id));
                    await done.WaitAsync(TimeSpan.FromMinutes(2));
                }
            }));
            own = await WaitForSucceededAsync(bench, database, 2 * count);
            server.SendStop();
        }

        var looped = clock.Elapsed;
        NpgsqlConnection.ClearAllPools();
        (duplicates, lost) = PeerRuns.Check(count);
        var loop = new ThroughputResult("Hangfire.PostgreSql 1.21.1", $"closed loop, {inFlight} in flight", count, looped,
            (await bench.Server.CountersAsync(database)).Since(before, own), duplicates, lost,
            $"each job enqueued when an earlier one finished; {workers} workers");
        return (drain, loop, enqueueRate);
    }

    private static BackgroundJobServer StartServer(JobStorage storage, int workers) =>
        new(new BackgroundJobServerOptions { WorkerCount = workers, ServerName = "bench", ShutdownTimeout = TimeSpan.FromSeconds(10) }, storage);

    /// <summary>Waits (polling every 20 ms, at most a minute) until <paramref name="count"/> jobs are Succeeded; returns the commits it made.</summary>
    private static async Task<long> WaitForSucceededAsync(BenchContext bench, string database, int count)
    {
        await using var connection = await bench.Server.OpenAsync(database);
        long own = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            own++;
            if (await connection.ExecuteScalarAsync<long>($"{PgServer.Tag} SELECT count(*) FROM hangfire.job WHERE statename = 'Succeeded'") >= count)
            {
                return own;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"fewer than {count} Hangfire jobs succeeded");
    }

    /// <summary>Hangfire's job: does nothing but say it ran.</summary>
    public static class NoopJob
    {
        public static void Run(int run) => PeerRuns.Ran(run);
    }
}
