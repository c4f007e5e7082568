using Microsoft.Extensions.Options;
using Scheduler.Jobs.HttpCalls;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Keeps this node's catalog in step with the HTTP-call types defined through the API: loaded before Quartz starts
/// (so a trigger of such a type never meets a node that does not know it), then read again every
/// <see cref="SchedulerOptions.JobTypeRefresh"/> (one small statement). The node that made a change reads it at once, and
/// a run of a type defined through the API reads the definitions before it starts (<see cref="HttpCallTypeControl.RunStartingAsync"/>),
/// so what runs is never older than the last committed change.
/// </summary>
public sealed partial class HttpCallTypeSync(
    HttpCallTypeControl types, IOptions<SchedulerOptions> options, TimeProvider time, ILogger<HttpCallTypeSync> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await types.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = options.Value.JobTypeRefresh;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                await types.ReloadAsync(stoppingToken);
                wait = options.Value.JobTypeRefresh;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReloadFailed(ex);
                wait = RetryAfterFailure;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the job types defined through the API; this node keeps the ones it knows and reads again shortly")]
    private partial void LogReloadFailed(Exception exception);
}
