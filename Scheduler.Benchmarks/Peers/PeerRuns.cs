using System.Collections.Concurrent;

namespace Scheduler.Benchmarks.Peers;

/// <summary>What the peers' no-op jobs report: which run ran, how often, and a wait for a given run.</summary>
public static class PeerRuns
{
    private static readonly ConcurrentDictionary<int, int> Counts = new();
    private static readonly ConcurrentDictionary<int, TaskCompletionSource> Waiters = new();
    private static int _executed;

    public static int Executed => Volatile.Read(ref _executed);

    public static void Reset()
    {
        Counts.Clear();
        Waiters.Clear();
        Volatile.Write(ref _executed, 0);
    }

    public static void Ran(int run)
    {
        Counts.AddOrUpdate(run, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _executed);
        if (Waiters.TryRemove(run, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Completes when run <paramref name="run"/> has executed (register before submitting it).</summary>
    public static Task WaitFor(int run) =>
        Waiters.GetOrAdd(run, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Runs 0..<paramref name="count"/>-1 that ran more than once, and that never ran.</summary>
    public static (int Duplicates, int Lost) Check(int count) =>
        (Counts.Count(kv => kv.Value > 1), Enumerable.Range(0, count).Count(i => !Counts.ContainsKey(i)));

    /// <summary>Waits until <paramref name="count"/> runs have executed, polling every 10 ms, at most <paramref name="timeout"/>.</summary>
    public static async Task WaitForExecutedAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Executed < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Executed} of {count} runs executed within {timeout}");
            }

            await Task.Delay(10);
        }
    }
}
