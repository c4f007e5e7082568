using Scheduler.Jobs.DeadLetters;

namespace Scheduler.Jobs.Telemetry;

/// <summary>
/// What the cluster knows of each job type and of this node's heartbeat, refreshed in the background so that a
/// Prometheus scrape reads memory, not the database. Written by the heartbeat loop, read by the metrics.
/// </summary>
public sealed class JobHealthSnapshot(TimeProvider time)
{
    private volatile IReadOnlyDictionary<string, JobTypeHealth> _types = new Dictionary<string, JobTypeHealth>();
    private long _lastHeartbeatTicks;

    public IReadOnlyDictionary<string, JobTypeHealth> Types => _types;

    /// <summary>When this node started; before its first heartbeat, the heartbeat's age counts from here.</summary>
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>How old this node's heartbeat is at <paramref name="now"/> (since start-up if it never beat).</summary>
    public TimeSpan HeartbeatAge(DateTimeOffset now) => now - (LastHeartbeat ?? StartedAt);

    /// <summary>When this node last wrote its <c>jobs-runner</c> heartbeat; null before the first.</summary>
    public DateTimeOffset? LastHeartbeat
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastHeartbeatTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Whether this node's scheduler was running at the last heartbeat.</summary>
    public bool SchedulerRunning { get; private set; }

    public void HeartbeatWritten(DateTimeOffset at, bool schedulerRunning)
    {
        Interlocked.Exchange(ref _lastHeartbeatTicks, at.UtcTicks);
        SchedulerRunning = schedulerRunning;
    }

    public void SchedulerStopped() => SchedulerRunning = false;

    public void Replace(IReadOnlyDictionary<string, JobTypeHealth> types) => _types = types;

    /// <summary>The latest dead-letter depth sample the cluster recorded (a <c>dlq_depth</c> run); null before the first.</summary>
    public DlqDepthSample? DeadLetters { get; private set; }

    public void DeadLettersSampled(DlqDepthSample? sample) => DeadLetters = sample;
}

/// <summary>One job type as the cluster last saw it.</summary>
/// <param name="LastSuccessAt">From <c>job_heartbeats.last_success_at</c>.</param>
/// <param name="ConsecutiveFailures">From <c>job_heartbeats.consecutive_failures</c>.</param>
/// <param name="Paused">Whether its cron trigger is paused.</param>
/// <param name="ExpectedInterval">Time between its next two scheduled fires; null when it has no schedule.</param>
/// <param name="Overdue">Why the type counts as overdue (a due occurrence has no row, or no success for twice its interval); null when it is not.</param>
/// <param name="InvalidSchedule">Why the type's schedule cannot be scheduled (never fires again, unknown zone); null when it can.</param>
public sealed record JobTypeHealth(
    DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, bool Paused, TimeSpan? ExpectedInterval, string? Overdue = null, string? InvalidSchedule = null);
