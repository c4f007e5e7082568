using System.Collections.Concurrent;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// The executions this node is running now: what its heartbeat covers, what a graceful shutdown waits
/// for, and why a run's token was cancelled when it was.
/// </summary>
public sealed class RunningExecutions
{
    private readonly ConcurrentDictionary<Guid, string> _running = new();

    /// <summary>Set once the node has begun shutting down: a cancellation from then on is the shutdown's.</summary>
    public bool ShuttingDown { get; private set; }

    public IReadOnlyCollection<Guid> Ids => [.. _running.Keys];

    public int Count => _running.Count;

    /// <summary>How many executions of <paramref name="jobType"/> run on this node now.</summary>
    public int CountOf(string jobType) => _running.Values.Count(type => type == jobType);

    internal void Add(Guid executionId, string jobType) => _running[executionId] = jobType;

    internal void Remove(Guid executionId) => _running.TryRemove(executionId, out _);

    public void BeginShutdown() => ShuttingDown = true;
}
