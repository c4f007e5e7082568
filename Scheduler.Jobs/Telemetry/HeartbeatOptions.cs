using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Telemetry;

/// <summary>
/// The runbooks' heartbeat, from <c>Heartbeat</c>; the previous service's names still work:
/// <c>JOBS_ENABLED</c>, <c>JOB_HEARTBEAT_REQUIRED</c>, <c>JOB_HEARTBEAT_TTL_SECONDS</c>.
/// </summary>
public sealed class HeartbeatOptions
{
    public const string Section = "Heartbeat";

    /// <summary>Jobs are meant to run here: a stale heartbeat makes the node not ready.</summary>
    public bool JobsEnabled { get; set; }

    /// <summary>A stale heartbeat makes the node not ready even where jobs are not enabled (non-production gating).</summary>
    public bool Required { get; set; }

    /// <summary>How old this node's heartbeat may be before it counts as stale.</summary>
    [Range(2, 86_400)]
    public int TtlSeconds { get; set; } = 180;

    public TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);

    /// <summary>How often the heartbeat is written: a quarter of the TTL, at most every 15 s, so one missed write never makes it stale.</summary>
    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Min(15, TtlSeconds / 4.0));

    /// <summary>Whether a stale heartbeat fails readiness.</summary>
    public bool Enforced => JobsEnabled || Required;
}
