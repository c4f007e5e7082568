using System.Collections.Concurrent;
using System.Threading.Channels;
using Npgsql;
using Scheduler.Jobs.Events;

namespace Scheduler.Service.Events;

/// <summary>
/// This node's ear on <c>scheduler_events</c>: it LISTENs on the channel every insert NOTIFYs, reads the new
/// events in order and hands each to every live-view client of this node. After a lost connection it reads on from
/// the last event it relayed, so clients miss nothing that happened meanwhile.
/// </summary>
public sealed partial class EventRelay(NpgsqlDataSource dataSource, SchedulerEventStore store, TimeProvider time, ILogger<EventRelay> logger) : BackgroundService
{
    private const int ClientBuffer = 1000;
    private readonly ConcurrentDictionary<Guid, Channel<SchedulerEvent>> _clients = new();
    private readonly SemaphoreSlim _wake = new(0);
    private long _lastRelayed = -1;

    /// <summary>A client's feed of events from now on; dispose it to leave.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<SchedulerEvent>(new BoundedChannelOptions(ClientBuffer) { FullMode = BoundedChannelFullMode.DropOldest });
        var id = Guid.NewGuid();
        _clients[id] = channel;
        return new Subscription(channel.Reader, () => _clients.TryRemove(id, out _));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var relaying = RelayAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => _wake.Release();
                await using (var listen = new NpgsqlCommand($"LISTEN {SchedulerEventStore.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                if (Interlocked.Read(ref _lastRelayed) < 0)
                {
                    Interlocked.Exchange(ref _lastRelayed, await store.LatestIdAsync(stoppingToken));
                }

                // Listening (again): catch up on whatever was committed while not.
                _wake.Release();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogListenFailed(ex);
                _wake.Release();
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        await relaying.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>On every wake-up, reads what is new since the last relayed event and fans it out.</summary>
    private async Task RelayAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _wake.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested || Interlocked.Read(ref _lastRelayed) < 0)
            {
                continue;
            }

            try
            {
                IReadOnlyList<SchedulerEvent> batch;
                do
                {
                    batch = await store.AfterAsync(_lastRelayed, 500, stoppingToken);
                    foreach (var e in batch)
                    {
                        foreach (var client in _clients.Values)
                        {
                            client.Writer.TryWrite(e);
                        }

                        _lastRelayed = e.Id;
                    }
                }
                while (batch.Count == 500);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRelayFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the event channel; listening again shortly")]
    private partial void LogListenFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read new events; the next notification tries again")]
    private partial void LogRelayFailed(Exception exception);
}

/// <summary>One live-view client's events.</summary>
public sealed class Subscription(ChannelReader<SchedulerEvent> reader, Action leave) : IDisposable
{
    public ChannelReader<SchedulerEvent> Events => reader;

    public void Dispose() => leave();
}
