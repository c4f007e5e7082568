using System.Collections.Concurrent;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// The runs this node holds now: what its lease renewals cover (including a finished run whose outcome is still
/// waiting for the database), what a graceful shutdown waits for, and why a run's token was cancelled when it was.
/// </summary>
public sealed class RunningExecutions
{
    private readonly ConcurrentDictionary<Guid, RunLease> _running = new();

    /// <summary>Set once the node has begun shutting down: a cancellation from then on is the shutdown's.</summary>
    public bool ShuttingDown { get; private set; }

    public IReadOnlyCollection<Guid> Ids => [.. _running.Keys];

    /// <summary>The leases to renew.</summary>
    public IReadOnlyCollection<RunLease> Leases => [.. _running.Values];

    public int Count => _running.Count;

    private int _outcomesWaiting;

    /// <summary>Finished runs whose outcome this node keeps and retries because the database cannot be reached.</summary>
    public int OutcomesWaiting => Volatile.Read(ref _outcomesWaiting);

    internal void OutcomeWaits() => Interlocked.Increment(ref _outcomesWaiting);

    internal void OutcomeSettled() => Interlocked.Decrement(ref _outcomesWaiting);

    /// <summary>How many executions of <paramref name="jobType"/> run on this node now.</summary>
    public int CountOf(string jobType) => _running.Values.Count(lease => lease.JobType == jobType);

    /// <summary>How long the longest-running run of <paramref name="jobType"/> on this node has run; zero when none runs.</summary>
    public TimeSpan OldestOf(string jobType) =>
        _running.Values.Where(lease => lease.JobType == jobType).Select(lease => lease.RunningFor).DefaultIfEmpty(TimeSpan.Zero).Max();

    internal void Add(RunLease lease) => _running[lease.ExecutionId] = lease;

    /// <summary>Whether <paramref name="lease"/> is still one this node holds (its run has not ended here).</summary>
    public bool Holds(RunLease lease) => _running.TryGetValue(lease.ExecutionId, out var held) && ReferenceEquals(held, lease);

    internal void Remove(Guid executionId) => _running.TryRemove(executionId, out _);

    public void BeginShutdown() => ShuttingDown = true;
}
