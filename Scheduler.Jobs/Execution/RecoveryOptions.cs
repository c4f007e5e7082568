using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Scheduler.Jobs.Execution;

/// <summary>How the cluster finds and settles executions whose node is gone, from <c>Recovery</c>.</summary>
public sealed class RecoveryOptions : IValidatableObject
{
    public const string Section = "Recovery";

    /// <summary>The key of <see cref="LeaseRenewalInterval"/>, named as it has always been.</summary>
    private const string LeaseRenewalIntervalKey = "HeartbeatInterval";

    /// <summary>
    /// How often this node renews the leases of the runs it holds (stamping <c>heartbeat_at</c>), and sweeps. Set as
    /// <c>Recovery:HeartbeatInterval</c>.
    /// </summary>
    [ConfigurationKeyName(LeaseRenewalIntervalKey)]
    [Display(Name = LeaseRenewalIntervalKey)]
    [Range(typeof(TimeSpan), "00:00:00.5", "00:05:00")]
    public TimeSpan LeaseRenewalInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A run's lease: its node renews it every <see cref="LeaseRenewalInterval"/>, and another node takes the run over
    /// (ends it "runner lost" and re-runs it) only once it has gone this long without renewal. Longer than Quartz's
    /// own failed-node window and than any pause a live node should survive (GC, CPU throttling, a database blip).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The lease length (<see cref="StaleAfter"/>, the name the setting has always had).</summary>
    public TimeSpan Lease => StaleAfter;

    /// <summary>
    /// After this node could not reach the database, how long it must reach it steadily before it takes over another
    /// node's run (default: three renewal intervals), so that after an outage every live owner renews first.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan? TakeoverAfterReconnect { get; set; }

    /// <summary>The effective <see cref="TakeoverAfterReconnect"/>.</summary>
    public TimeSpan TakeoverGrace => TakeoverAfterReconnect ?? LeaseRenewalInterval * 3;

    /// <summary>How long a run's claim keeps being retried while the database cannot be reached, before the firing is given up.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ClaimRetryFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a lost run may wait for its re-run (its type busy) before the re-run is given up, recorded on the row.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan RecoveryWaitLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a pending run may sit behind a trigger in error, paused or blocked before it is ended <c>failed</c> with the reason.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan StuckPendingAfter { get; set; } = TimeSpan.FromMinutes(10);

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
        if (StaleAfter < LeaseRenewalInterval * 3)
        {
            yield return new ValidationResult($"must be at least three times {LeaseRenewalIntervalKey}.", [nameof(StaleAfter)]);
        }

        if (FailPendingAfter <= ResubmitPendingAfter)
        {
            yield return new ValidationResult($"must be longer than {nameof(ResubmitPendingAfter)}.", [nameof(FailPendingAfter)]);
        }
    }
}
