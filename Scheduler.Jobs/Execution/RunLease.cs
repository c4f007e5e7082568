namespace Scheduler.Jobs.Execution;

/// <summary>
/// This node's hold on one run: the fencing token its claim took, and when the lease was last renewed by this
/// node's clock. Every write of the run names the token; the database refuses it once another node's claim has
/// replaced it. Between renewals the node also judges the lease itself: once a full lease has passed since the last
/// confirmed renewal (a long GC pause, a frozen process, a partition from the database), another node may own the
/// run, so this one makes no further downstream call for it until a renewal confirms it still holds the lease.
/// </summary>
public sealed class RunLease
{
    private static readonly AsyncLocal<RunLease?> Ambient = new();
    private readonly TimeProvider _time;
    private long _renewedAt;
    private readonly long _claimedAt;
    private int _lost;

    public RunLease(Guid executionId, string jobType, long token, string fireInstanceId, TimeSpan duration, TimeProvider time)
    {
        ExecutionId = executionId;
        JobType = jobType;
        Token = token;
        FireInstanceId = fireInstanceId;
        Duration = duration;
        _time = time;
        _renewedAt = time.GetTimestamp();
        _claimedAt = _renewedAt;
        Log = new ExecutionLogBuffer(time);
    }

    /// <summary>The lease of the run whose job is executing in this async flow, if any.</summary>
    public static RunLease? Current => Ambient.Value;

    public Guid ExecutionId { get; }

    public string JobType { get; }

    /// <summary>The fencing token: <c>scheduled_jobs.lease_token</c> as this node's claim set it.</summary>
    public long Token { get; }

    public string FireInstanceId { get; }

    public TimeSpan Duration { get; }

    /// <summary>How long ago this node claimed the run (it started running then).</summary>
    public TimeSpan RunningFor => _time.GetElapsedTime(_claimedAt);

    /// <summary>What the run has logged and is not stored yet: flushed as it runs, and the rest with its outcome.</summary>
    public ExecutionLogBuffer Log { get; }

    /// <summary>Another claim replaced this one: every write of the run from this node is refused.</summary>
    public bool Lost => Volatile.Read(ref _lost) == 1;

    /// <summary>Whether a full lease has passed since the last renewal this node saw confirmed.</summary>
    public bool Lapsed => _time.GetElapsedTime(Volatile.Read(ref _renewedAt)) >= Duration;

    /// <summary>Whether this node may still act for the run: not lost, and renewed within the lease.</summary>
    public bool Held => !Lost && !Lapsed;

    /// <summary>Records a confirmed renewal that was sent at <paramref name="sentAt"/> (a <see cref="TimeProvider.GetTimestamp"/>).</summary>
    public void Renewed(long sentAt)
    {
        long seen;
        do
        {
            seen = Volatile.Read(ref _renewedAt);
            if (sentAt <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _renewedAt, sentAt, seen) != seen);
    }

    /// <summary>Marks the lease lost; true the first time.</summary>
    public bool MarkLost() => Interlocked.Exchange(ref _lost, 1) == 0;

    /// <summary>Makes this the ambient lease of the calling async flow (the job's) until disposed.</summary>
    public IDisposable Enter()
    {
        var previous = Ambient.Value;
        Ambient.Value = this;
        return new Exit(previous);
    }

    private sealed class Exit(RunLease? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>A run's downstream call refused because this node's lease on the run lapsed or was taken over.</summary>
public sealed class RunLeaseLostException(RunLease lease)
    : Exception(lease.Lost
        ? $"execution {lease.ExecutionId} was taken over by another node (its lease token {lease.Token} was replaced); this node stopped it"
        : $"this node could not renew its lease on execution {lease.ExecutionId} for {lease.Duration.TotalSeconds:0} s; it makes no further call for it")
{
    public RunLease Lease { get; } = lease;
}
