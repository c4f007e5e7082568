using Scheduler.Contracts;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Jobs.Execution;

/// <summary>What <see cref="RunStore.ClaimOccurrenceAsync"/> did.</summary>
public abstract record OccurrenceOutcome
{
    /// <summary>This node runs the occurrence.</summary>
    public sealed record Claimed(ClaimedRun Run) : OccurrenceOutcome;

    /// <summary>Another node recorded it already.</summary>
    public sealed record AlreadyRecorded : OccurrenceOutcome;

    /// <summary>Recorded as skipped: the type was running.</summary>
    public sealed record Skipped(Guid? ActiveId, string Reason) : OccurrenceOutcome;

    /// <summary>The type was running and the claim asked to defer rather than skip: nothing recorded.</summary>
    public sealed record Busy(Guid? ActiveId) : OccurrenceOutcome;
}

/// <summary>One occurrence of a schedule, as its row records it.</summary>
/// <param name="JobType">The job type.</param>
/// <param name="Schedule">The schedule's name (<c>default</c> for the configured one).</param>
/// <param name="ScheduledFor">The nominal fire time.</param>
/// <param name="Parameters">The schedule's parameters (JSON), or null.</param>
/// <param name="JitterMs">The random delay drawn for it, or null when its schedule has none.</param>
public sealed record ScheduledOccurrence(string JobType, string Schedule, DateTimeOffset ScheduledFor, string? Parameters = null, int? JitterMs = null)
{
    /// <summary>Whether it is the configured schedule's, which every release records as a <c>cron</c> run.</summary>
    public bool OfDefault => Schedule == NamedSchedule.DefaultName;

    /// <summary>How its run is recorded: <c>cron</c> for the configured schedule, <c>schedule</c> for a named one.</summary>
    public ExecutionTrigger Trigger => OfDefault ? ExecutionTrigger.Cron : ExecutionTrigger.Schedule;
}

/// <summary>
/// An execution this node has moved to <c>running</c>; <paramref name="Trigger"/> says how it was started, <paramref name="Parameters"/>
/// what it was given (JSON), <paramref name="LeaseToken"/> the fencing token its claim took.
/// </summary>
public sealed record ClaimedRun(Guid Id, Guid? RootId, ExecutionTrigger Trigger, string? Parameters, long LeaseToken)
{
    public Guid Root => RootId ?? Id;
}

/// <summary>What became of a lost run's recovery.</summary>
public abstract record RecoveryOutcome
{
    /// <summary>The recovery run is recorded and this node runs it.</summary>
    public sealed record Started(ClaimedRun Run) : RecoveryOutcome;

    /// <summary>Nothing to recover: the run finished, its node still holds its lease, or it was recovered already.</summary>
    public sealed record NotNeeded : RecoveryOutcome;

    /// <summary>Not yet (<paramref name="Why"/>): another run of the type is active, or the lost run's lease still holds; try again shortly.</summary>
    public sealed record Wait(string Why) : RecoveryOutcome;
}

/// <summary>What <see cref="RunStore.MakeDueAsync"/> did with a scheduled run that came due.</summary>
public abstract record DueOutcome
{
    /// <summary>Now pending, holding its type's active slot, ready to be claimed.</summary>
    public sealed record Due : DueOutcome;

    /// <summary>Not scheduled (any more): cancelled, or already due.</summary>
    public sealed record NotScheduled : DueOutcome;

    /// <summary>Recorded as skipped: <paramref name="ActiveId"/> of its type was pending or running. <paramref name="Trigger"/>: how the run came about.</summary>
    public sealed record Skipped(ExecutionTrigger Trigger, Guid? ActiveId, string Reason) : DueOutcome;
}
