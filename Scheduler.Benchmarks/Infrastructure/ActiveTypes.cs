using System.Diagnostics;
using Npgsql;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// Tells the drivers when a job type's run has ended, without asking the API: one small query every few
/// milliseconds lists the types with a pending or running execution (the partial unique index answers it).
/// Its statements are tagged and its commits counted, so the measured deltas leave them out.
/// </summary>
internal sealed class ActiveTypes : IAsyncDisposable
{
    private const string Sql = $"{PgServer.Tag} SELECT job_type FROM scheduled_jobs WHERE status IN ('pending', 'running')";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Waiter> _waiters = [];
    private readonly Task _loop;
    private long _polls;
    private int _disposed;

    private ActiveTypes(NpgsqlConnection connection)
    {
        _connection = connection;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Queries made (each one statement and one commit on the measured database).</summary>
    public long Polls => Interlocked.Read(ref _polls);

    public static async Task<ActiveTypes> StartAsync(PgServer server, string database) =>
        new(await server.OpenAsync(database));

    /// <summary>Completes once a query that began after <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp) no longer lists <paramref name="jobType"/>.</summary>
    public Task WaitUntilIdleAsync(string jobType, long since, TimeSpan timeout)
    {
        var waiter = new Waiter(jobType, since, Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));
        lock (_gate)
        {
            _waiters.Add(waiter);
        }

        return waiter.Done.Task;
    }

    private async Task LoopAsync()
    {
        await using var command = new NpgsqlCommand(Sql, _connection);
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            var active = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                await using var reader = await command.ExecuteReaderAsync(_stop.Token);
                while (await reader.ReadAsync(_stop.Token))
                {
                    active.Add(reader.GetString(0));
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }

            Interlocked.Increment(ref _polls);
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _waiters.RemoveAll(w =>
                {
                    if (started > w.Since && !active.Contains(w.JobType))
                    {
                        w.Done.TrySetResult();
                        return true;
                    }

                    if (now > w.Deadline)
                    {
                        w.Done.TrySetException(new TimeoutException($"{w.JobType} still pending or running"));
                        return true;
                    }

                    return false;
                });
            }

            try
            {
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loop;
        lock (_gate)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetCanceled();
            }
        }

        await _connection.DisposeAsync();
        _stop.Dispose();
    }

    private sealed record Waiter(string JobType, long Since, long Deadline)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
