using System.ComponentModel.DataAnnotations;

namespace Scheduler.Service.Events;

/// <summary>Limits on <c>GET /api/jobs/events</c>, from <c>Events</c>.</summary>
public sealed class EventsOptions
{
    public const string Section = "Events";

    /// <summary>Open streams this node serves at once; beyond it, 503 with <c>Retry-After</c>.</summary>
    [Range(1, 100_000)]
    public int MaxStreamsPerNode { get; set; } = 200;

    /// <summary>Open streams one caller (token subject) may hold on this node; beyond it, 429 with <c>Retry-After</c>.</summary>
    [Range(1, 10_000)]
    public int MaxStreamsPerCaller { get; set; } = 5;

    /// <summary>What a refused client is told to wait before trying again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(10);
}
