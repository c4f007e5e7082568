using Npgsql;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Whether this node has been talking to the database steadily. After an outage every node comes back at once, and
/// the leases of runs that went on meanwhile have run out by the clock; taking them over then would re-run work that
/// is alive and about to renew. So a node takes a run over only once it has reached the database without a failure
/// for <see cref="RecoveryOptions.TakeoverAfterReconnect"/>, which gives every live owner time to renew first.
/// </summary>
public sealed class DatabaseContact(TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _steadySince = time.GetUtcNow();
    private bool _down;

    public void Reached()
    {
        lock (_gate)
        {
            if (_down)
            {
                _down = false;
                _steadySince = time.GetUtcNow();
            }
        }
    }

    public void Failed()
    {
        lock (_gate)
        {
            _down = true;
        }
    }

    /// <summary>Whether the database has been reachable, with no failure seen, for at least <paramref name="span"/>.</summary>
    public bool SteadyFor(TimeSpan span)
    {
        lock (_gate)
        {
            return !_down && time.GetUtcNow() - _steadySince >= span;
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> says the database could not be reached or could not serve for now
    /// (refused, restarting, shutting down, out of connections), as opposed to refusing the statement itself.
    /// </summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => exception.InnerException is { } inner && IsUnreachable(inner),
    };
}
