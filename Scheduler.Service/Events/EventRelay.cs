using System.Collections.Concurrent;
using System.Net.ServerSentEvents;
using System.Threading.Channels;
using Npgsql;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Events;

namespace Scheduler.Service.Events;

/// <summary>
/// This node's ear on <c>scheduler_events</c>: it LISTENs (on a connection of its own) on the channel every insert
/// NOTIFYs, reads the new events in order, each with its execution, in one query per batch, and hands each to every
/// live-view client of this node, however many there are. After a lost connection it reads on from the last event
/// it relayed, so clients miss nothing that happened meanwhile. With no client it neither listens nor reads (a node
/// under load would otherwise pay for every event of the cluster, for nobody); the first client to come starts it
/// again from where that client's stream began.
/// </summary>
public sealed partial class EventRelay(
    [FromKeyedServices(SchedulerDataSources.Listen)] NpgsqlDataSource listenSource,
    NpgsqlDataSource apiSource,
    [FromKeyedServices(SchedulerDataSources.Background)] NpgsqlDataSource backgroundSource,
    SchedulerEventStore store,
    TimeProvider time,
    ILogger<EventRelay> logger) : BackgroundService
{
    private const int ClientBuffer = 1000;
    private const int Batch = 500;

    private const string ListenSql = $"LISTEN {SchedulerEventStore.Channel}";

    private const string UnlistenSql = $"UNLISTEN {SchedulerEventStore.Channel}";

    /// <summary>How soon the relay starts (or stops) listening after the first client comes (or the last one goes).</summary>
    private static readonly TimeSpan MembershipCheck = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How soon to read again while an event waits behind a transaction still open. That transaction may write no
    /// event of its own, so no notification says when it ends.
    /// </summary>
    private static readonly TimeSpan HeldBackPoll = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, RelayClient> _clients = new();
    // A notification while one is pending adds nothing: one read answers both.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private EventCursor? _cursor;

    /// <summary>
    /// A client's feed of the events after <paramref name="from"/> (<see cref="SchedulerEventStore.HorizonAsync"/> when
    /// it connected), or after whatever the relay has already read if that is later; dispose it to leave. A client
    /// that falls <see cref="ClientBuffer"/> events behind has its feed completed with <see cref="ClientTooSlowException"/>
    /// rather than lose events: it reconnects with its Last-Event-ID and catches up from the table.
    /// </summary>
    public Subscription Subscribe(EventPosition from)
    {
        var channel = Channel.CreateBounded<EventFrame>(new BoundedChannelOptions(ClientBuffer) { SingleReader = true, SingleWriter = true });
        var id = Guid.NewGuid();
        _clients[id] = new RelayClient(channel, from);
        _wake.Writer.TryWrite(true);
        return new Subscription(channel.Reader, () => _clients.TryRemove(id, out _));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var relaying = RelayAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await listenSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => _wake.Writer.TryWrite(true);
                var listening = false;
                while (!stoppingToken.IsCancellationRequested)
                {
                    // LISTEN only while someone is connected: PostgreSQL delivers each notification to a listening
                    // session in a transaction of its own, so a node listening for nobody paid about three commits
                    // for every run in the cluster. The connection stays open either way (it hears the server go).
                    if (_clients.IsEmpty == listening)
                    {
                        listening = !listening;
                        await using var command = new NpgsqlCommand(listening ? ListenSql : UnlistenSql, connection);
                        await command.ExecuteNonQueryAsync(stoppingToken);
                        // Listening (again): catch up on whatever was committed while not.
                        _wake.Writer.TryWrite(true);
                    }

                    await connection.WaitAsync(MembershipCheck, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogListenFailed(ex);
                // The one connection that always waits on the server is the first to hear it go (a restart ends every
                // session): the pools' idle connections are dead too, and a request would otherwise meet one.
                apiSource.Clear();
                backgroundSource.Clear();
                _wake.Writer.TryWrite(true);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        await relaying.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>On every wake-up, reads what is deliverable since the last relayed event and fans it out.</summary>
    private async Task RelayAsync(CancellationToken stoppingToken)
    {
        TimeSpan? readAgain = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            await WakeAsync(readAgain, stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                continue;
            }

            if (_clients.IsEmpty)
            {
                // Nobody listens: nothing to read. Whoever comes next says where its stream began.
                Volatile.Write(ref _cursor, null);
                readAgain = null;
                continue;
            }

            var cursor = Volatile.Read(ref _cursor) ?? new EventCursor(_clients.Values.Min(c => c.From));

            try
            {
                EventPage page;
                do
                {
                    page = await store.ReadAsync(cursor, Batch, stoppingToken);
                    foreach (var e in page.Events)
                    {
                        Publish(new EventFrame(e, EventsApi.Item(e)));
                        cursor = cursor.Past(e);
                    }

                    Volatile.Write(ref _cursor, cursor);
                }
                while (page.Events.Count == Batch);

                readAgain = page.HeldBack ? HeldBackPoll : null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRelayFailed(ex);
                readAgain = RetryAfterFailure;
            }
        }
    }

    private void Publish(EventFrame frame)
    {
        foreach (var client in _clients.Values)
        {
            if (!client.Feed.Writer.TryWrite(frame))
            {
                client.Feed.Writer.TryComplete(new ClientTooSlowException());
            }
        }
    }

    /// <summary>Until a notification, or until <paramref name="within"/> has passed.</summary>
    private async Task WakeAsync(TimeSpan? within, CancellationToken stoppingToken)
    {
        using var timeout = within is { } delay ? new CancellationTokenSource(delay, time) : new CancellationTokenSource();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await _wake.Reader.ReadAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            // Time to read again, or the node is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the event channel; listening again shortly")]
    private partial void LogListenFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read new events; trying again shortly")]
    private partial void LogRelayFailed(Exception exception);
}

/// <summary>A live-view client: its feed, and where its stream began.</summary>
internal sealed record RelayClient(Channel<EventFrame> Feed, EventPosition From);

/// <summary>An event and its Server-Sent Events item, rendered once for every client.</summary>
public sealed record EventFrame(SchedulerEvent Event, SseItem<string> Item);

/// <summary>One live-view client's events.</summary>
public sealed class Subscription(ChannelReader<EventFrame> reader, Action leave) : IDisposable
{
    public ChannelReader<EventFrame> Events => reader;

    public void Dispose() => leave();
}

/// <summary>A live-view client fell too far behind; its stream ends so that it resumes from the table.</summary>
public sealed class ClientTooSlowException : Exception
{
    public ClientTooSlowException()
        : base("the client fell too far behind the live events")
    {
    }

    public ClientTooSlowException(string message)
        : base(message)
    {
    }

    public ClientTooSlowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
