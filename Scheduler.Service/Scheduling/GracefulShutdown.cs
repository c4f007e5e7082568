using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// On SIGTERM, before Quartz shuts down: this node stops taking new work (standby), gives its running
/// executions <see cref="RecoveryOptions.ShutdownGrace"/> to finish, then lets Quartz interrupt the rest.
/// An interrupted run is recorded <c>cancelled</c> (reason: shutdown) and, for recoverable types, handed
/// back by Quartz to run again on another node. Registered after Quartz's hosted service, so it stops first.
/// </summary>
internal sealed partial class GracefulShutdown(
    ISchedulerFactory schedulers,
    RunningExecutions running,
    TimeProvider time,
    IOptions<RecoveryOptions> options,
    ILogger<GracefulShutdown> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(CancellationToken.None);
        await scheduler.Standby(CancellationToken.None);
        var grace = options.Value.ShutdownGrace;
        LogDraining(running.Count, grace.TotalSeconds);
        var started = time.GetTimestamp();
        while (running.Count > 0 && time.GetElapsedTime(started) < grace && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, CancellationToken.None);
        }

        running.BeginShutdown();
        if (running.Count > 0)
        {
            LogInterrupting(running.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: no new work on this node; {Count} running execution(s) get {GraceSeconds}s to finish")]
    private partial void LogDraining(int count, double graceSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutting down: interrupting {Count} execution(s) still running; recoverable ones run again on another node")]
    private partial void LogInterrupting(int count);
}
