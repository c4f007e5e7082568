using System.Text.Json.Serialization;

namespace Scheduler.Contracts;

/// <summary>
/// What one execution did, stored in <c>scheduled_jobs.result</c>. The shape is the one the
/// admin dashboard already reads: <c>success</c>, <c>itemsProcessed</c>, <c>errors</c>, <c>details</c>.
/// </summary>
public sealed record JobResult
{
    /// <summary>Whether the run as a whole succeeded. Individual items may still have failed (see <see cref="Details"/>).</summary>
    [JsonPropertyName("success")]
    public required bool Success { get; init; }

    /// <summary>How many items the run handled, successful or not.</summary>
    [JsonPropertyName("itemsProcessed")]
    public int ItemsProcessed { get; init; }

    /// <summary>Error messages, most recent first, bounded in number.</summary>
    [JsonPropertyName("errors")]
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Job-specific figures, always including <c>duration</c> (for example <c>"45.2s"</c>) and <c>durationMs</c>.</summary>
    [JsonPropertyName("details")]
    public IReadOnlyDictionary<string, object?> Details { get; init; } = new Dictionary<string, object?>();
}
