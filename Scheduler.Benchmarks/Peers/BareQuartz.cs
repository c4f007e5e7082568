using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Quartz;
using Scheduler.Benchmarks.Infrastructure;

namespace Scheduler.Benchmarks.Peers;

/// <summary>
/// Bare Quartz.NET 4.7.3 in this process: a clustered AdoJobStore on PostgreSQL with the service's schema and a pool
/// of 30, the thread, batch, check-in, misfire and idle-wait settings of one <see cref="QuartzSettings"/>, a job that
/// does nothing, and no recording at all.
/// </summary>
internal static class BareQuartz
{
    private const string RunKey = "run";
    private static readonly JobKey Noop = new("noop", "bench");

    /// <summary>Schedules <paramref name="count"/> one-shot triggers with the scheduler on standby, then starts it and times the drain.</summary>
    public static async Task<(ThroughputResult Result, double SchedulingPerSecond)> DrainAsync(BenchContext bench, QuartzSettings settings, int count)
    {
        var database = bench.Options.QuartzDatabase;
        var before = await bench.Server.CountersAsync(database);
        PeerRuns.Reset();
        double schedulingRate;
        TimeSpan drained;
        long own;
        await using (var provider = Build(bench, settings, "bare-drain"))
        {
            var scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler();
            await scheduler.AddJob(JobBuilder.Create<NoopJob>().WithIdentity(Noop).StoreDurably().Build(), AddJobOptions.Replacing);
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (run, ct) => await scheduler.ScheduleTrigger(OneShot(run), TriggerConflict.Keep, ct));
            schedulingRate = count / clock.Elapsed.TotalSeconds;

            clock.Restart();
            await scheduler.Start();
            await PeerRuns.WaitForExecutedAsync(count, TimeSpan.FromMinutes(10));
            own = await WaitForEmptyStoreAsync(bench, database);
            drained = clock.Elapsed;
            await scheduler.Shutdown(waitForJobsToComplete: true);
        }

        var (duplicates, lost) = PeerRuns.Check(count);
        var delta = (await bench.Server.CountersAsync(database)).Since(before, own);
        return (new ThroughputResult(SystemName(settings), "drain", count, drained, delta, duplicates, lost,
            "N one-shot triggers scheduled on standby (8 at a time), then started; time from start until the store is empty; commits and statements include the scheduling"), schedulingRate);
    }

    /// <summary>Keeps <paramref name="inFlight"/> one-shot triggers outstanding, each scheduled as the previous finishes, until <paramref name="count"/> have run.</summary>
    public static async Task<ThroughputResult> ClosedLoopAsync(BenchContext bench, QuartzSettings settings, int count, int inFlight)
    {
        var database = bench.Options.QuartzDatabase;
        var before = await bench.Server.CountersAsync(database);
        PeerRuns.Reset();
        TimeSpan elapsed;
        long own;
        await using (var provider = Build(bench, settings, "bare-loop"))
        {
            var scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler();
            await scheduler.AddJob(JobBuilder.Create<NoopJob>().WithIdentity(Noop).StoreDurably().Build(), AddJobOptions.Replacing);
            await scheduler.Start();
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                for (var run = Interlocked.Increment(ref next); run < count; run = Interlocked.Increment(ref next))
                {
                    var done = PeerRuns.WaitFor(run);
                    await scheduler.ScheduleTrigger(OneShot(run), TriggerConflict.Keep);
                    await done.WaitAsync(TimeSpan.FromMinutes(2));
                }
            }));
            own = await WaitForEmptyStoreAsync(bench, database);
            elapsed = clock.Elapsed;
            await scheduler.Shutdown(waitForJobsToComplete: true);
        }

        var (duplicates, lost) = PeerRuns.Check(count);
        var delta = (await bench.Server.CountersAsync(database)).Since(before, own);
        return new ThroughputResult(SystemName(settings), $"closed loop, {inFlight} in flight", count, elapsed, delta, duplicates, lost,
            "each run scheduled as a one-shot trigger when an earlier one finished");
    }

    /// <summary>The name a result row carries: which configuration it ran with is part of the system's name.</summary>
    public static string SystemName(QuartzSettings settings) => $"bare Quartz 4.7.3 ({settings.Name})";

    private static ITrigger OneShot(int run) => TriggerBuilder.Create()
        .WithIdentity($"run-{run}", "bench")
        .ForJob(Noop)
        .UsingJobData(RunKey, run.ToString(CultureInfo.InvariantCulture))
        .StartNow()
        .Build();

    /// <summary>Waits (polling every 20 ms, at most a minute) until no trigger is left or firing; returns the commits it made.</summary>
    private static async Task<long> WaitForEmptyStoreAsync(BenchContext bench, string database)
    {
        await using var connection = await bench.Server.OpenAsync(database);
        long own = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            own++;
            if (await connection.ExecuteScalarAsync<long>(
                    $"{PgServer.Tag} SELECT (SELECT count(*) FROM qrtz_triggers) + (SELECT count(*) FROM qrtz_fired_triggers)") == 0)
            {
                return own;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("bare Quartz left triggers in its store");
    }

    private static ServiceProvider Build(BenchContext bench, QuartzSettings settings, string instanceId)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var dataSource = new NpgsqlDataSourceBuilder(bench.Server.ConnectionString(bench.Options.QuartzDatabase, maxPool: 30)).Build();
        services.AddSingleton(dataSource);
        services.AddSingleton<DbDataSource>(dataSource);
        services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = "bare-quartz";
                scheduler.InstanceId = instanceId;
                scheduler.IdleWaitTime = settings.IdleWaitTime;
                scheduler.MaxBatchSize = settings.MaxBatchSize;
                scheduler.BatchTriggerAcquisitionFireAheadTimeWindow = settings.FireAheadWindow;
            });
            quartz.UseDefaultThreadPool(settings.Threads);
            quartz.UsePersistentStore(store =>
            {
                store.UsePostgres(source => source.UseRegisteredDataSource = true);
                store.UseClustering(cluster =>
                {
                    cluster.CheckinInterval = settings.CheckinInterval;
                    cluster.CheckinMisfireThreshold = settings.CheckinMisfireThreshold;
                });
                store.ConfigureStore(ado =>
                {
                    ado.TablePrefix = "qrtz_";
                    ado.MisfireThreshold = settings.MisfireThreshold;
                    ado.SchemaProvisioning = SchemaProvisioning.Validate;
                });
            });
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Does nothing but say it ran.</summary>
    public sealed class NoopJob : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
        {
            if (context.MergedJobDataMap.TryGetString(RunKey, out var run) && run is not null)
            {
                PeerRuns.Ran(int.Parse(run, CultureInfo.InvariantCulture));
            }

            return ValueTask.CompletedTask;
        }
    }
}
