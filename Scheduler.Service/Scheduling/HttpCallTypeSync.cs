using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Scheduler.Jobs.HttpCalls;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Keeps this node's catalog in step with the HTTP-call types defined through the API: loaded before Quartz starts
/// (so a trigger of such a type never meets a node that does not know it), then read again whenever a change is
/// announced (the event relay's connection LISTENs on <see cref="HttpCallTypeStore.Channel"/>) or the connection that
/// would have heard it was lost, and every <see cref="SchedulerOptions.JobTypeRefresh"/> in case a notification went
/// missing. When nothing changes it costs one small read per interval.
/// </summary>
public sealed partial class HttpCallTypeSync(
    HttpCallTypeControl types, IOptions<SchedulerOptions> options, TimeProvider time, ILogger<HttpCallTypeSync> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    // A notification while a read is pending adds nothing: one read answers both.
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>A change was announced (or may have been missed): read the table again soon.</summary>
    public void Changed() => _changed.Writer.TryWrite(true);

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
            using (var timeout = new CancellationTokenSource(wait, time))
            using (var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token))
            {
                try
                {
                    await _changed.Reader.ReadAsync(either.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The periodic read.
                }
                catch (OperationCanceledException)
                {
                    break;
                }
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
