using Microsoft.Extensions.Logging;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Keeps what a run logs as the run's own log (<c>GET /api/jobs/{id}/logs</c>): everything logged while it runs, by
/// the job or around it, is captured in its lease's buffer and written every second, so the log can be followed from
/// any node; what is left at the end goes with the outcome (<see cref="RunStore.FinishAsync"/>), in the same
/// statement, and anything logged after that once more. Every write is fenced by the run's lease: a node that lost
/// the run adds nothing to its log.
/// </summary>
public sealed partial class ExecutionLogFlusher(ExecutionLogStore store, TimeProvider time, ILogger<ExecutionLogFlusher> logger)
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Starts capturing and flushing the run's log; disposing it writes the rest. Not async on purpose: the capture is
    /// an async-local that must flow from here into the run.
    /// </summary>
    public Flushing Start(RunLease lease)
    {
        var logs = lease.Log;
        var capture = ExecutionLogCapture.Capture(logs);
        var stop = new CancellationTokenSource();
        return new Flushing(this, lease, logs, capture, stop, FlushPeriodicallyAsync(lease, logs, stop.Token));
    }

    private async Task FlushPeriodicallyAsync(RunLease lease, ExecutionLogBuffer logs, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(FlushEvery, time, stop);
                await FlushAsync(lease, logs);
            }
        }
        catch (OperationCanceledException)
        {
            // the run ended; the last flush follows
        }
    }

    private async Task FlushAsync(RunLease lease, ExecutionLogBuffer logs)
    {
        if (lease.Lost)
        {
            return;
        }

        try
        {
            await store.AppendAsync(lease.ExecutionId, lease.Token, logs.Take(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogLogsFailed(ex, lease.ExecutionId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store the log lines of execution {ExecutionId}")]
    private partial void LogLogsFailed(Exception exception, Guid executionId);

    /// <summary>A run's log being captured; disposing it stops the periodic flush and writes what is left.</summary>
    public sealed class Flushing(
        ExecutionLogFlusher flusher, RunLease lease, ExecutionLogBuffer logs, IDisposable capture, CancellationTokenSource stop, Task periodic) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await periodic;
            await flusher.FlushAsync(lease, logs);
            stop.Dispose();
            capture.Dispose();
        }
    }
}
