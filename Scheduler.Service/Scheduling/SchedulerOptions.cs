using System.ComponentModel.DataAnnotations;

namespace Scheduler.Service.Scheduling;

/// <summary>Quartz scheduler and cluster settings, from <c>Scheduler</c>.</summary>
public sealed class SchedulerOptions : IValidatableObject
{
    public const string Section = "Scheduler";

    /// <summary>The cluster's name: the same on every node that shares the store.</summary>
    [Required, MaxLength(120)]
    public string InstanceName { get; set; } = "scheduler-service";

    /// <summary>
    /// How many jobs one node runs at once (Quartz acquires as many triggers per batch). The jobs wait on HTTP and
    /// the database rather than the CPU, so this is more than the cores; each run holds at most a connection or two
    /// of the node's pool (30).
    /// </summary>
    [Range(1, 200)]
    public int MaxConcurrency { get; set; } = 20;

    /// <summary>
    /// The most triggers one acquisition round takes (one round trip and one commit for all of them), at most
    /// <see cref="MaxConcurrency"/>; 0 is Quartz's automatic value, which on this store is <see cref="MaxConcurrency"/>.
    /// A burst of crons due at one second starts from one round rather than one round each.
    /// </summary>
    [Range(0, 200)]
    public int MaxBatchSize { get; set; }

    /// <summary>
    /// How far ahead of its time a trigger may be taken into the current round. Zero (the default) takes only
    /// triggers already due, so no run starts early; a wider window batches more and starts runs early by up to it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan BatchFireAheadWindow { get; set; } = TimeSpan.Zero;

    /// <summary>How often a node checks in with the cluster.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CheckinInterval { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>How late a node's check-in may be before the others treat it as failed and recover its work.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CheckinMisfireThreshold { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>How late a trigger may fire before it counts as misfired and its misfire instruction applies.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a node with nothing due waits before asking the store again. Also bounds how soon
    /// a node picks up work another node scheduled (Quartz's default of 30 s made a new node idle for ~25 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan IdleWaitTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after an occurrence was due its row may still be missing before the type counts as overdue.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MissedRunGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How often a node reads the job types defined through the API, for its lists and checks (one small statement). A run
    /// of such a type reads them before it starts, and the node that made a change reads it at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan JobTypeRefresh { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Triggers acquired beyond the threads there are to run them would be held by this node, unfireable by any other.
        if (MaxBatchSize > MaxConcurrency)
        {
            yield return new ValidationResult(
                $"must not exceed {Section}:{nameof(MaxConcurrency)} (0 takes that value).", [nameof(MaxBatchSize)]);
        }
    }
}
