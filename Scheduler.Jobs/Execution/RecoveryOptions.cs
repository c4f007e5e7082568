using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Execution;

/// <summary>How the cluster finds and settles executions whose node is gone, from <c>Recovery</c>.</summary>
public sealed class RecoveryOptions : IValidatableObject
{
    public const string Section = "Recovery";

    /// <summary>How often this node stamps <c>heartbeat_at</c> on the executions it runs, and sweeps.</summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "00:05:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A running execution whose heartbeat is older than this ends "runner lost", whatever the cluster says.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A pending execution this old whose Quartz trigger is missing is handed to the cluster again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResubmitPendingAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A pending execution this old that still has no trigger ends <c>failed</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan FailPendingAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>On SIGTERM, how long running executions get to finish before they are cancelled and handed back.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (StaleAfter < HeartbeatInterval * 3)
        {
            yield return new ValidationResult($"must be at least three times {nameof(HeartbeatInterval)}.", [nameof(StaleAfter)]);
        }

        if (FailPendingAfter <= ResubmitPendingAfter)
        {
            yield return new ValidationResult($"must be longer than {nameof(ResubmitPendingAfter)}.", [nameof(FailPendingAfter)]);
        }
    }
}
