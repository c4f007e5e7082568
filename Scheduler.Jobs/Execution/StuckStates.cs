namespace Scheduler.Jobs.Execution;

/// <summary>The states a row can stick in, as <c>scheduler_stuck_executions{state}</c> counts them; each has a sweep.</summary>
public static class StuckStates
{
    /// <summary>Running, its lease expired (its node died, stalled or lost the database for a whole lease; or it never renewed its lease).</summary>
    public const string LeaseExpired = "running_lease_expired";

    /// <summary>Pending, and its Quartz trigger is missing (the hand-over never landed).</summary>
    public const string TriggerMissing = "pending_trigger_missing";

    /// <summary>Pending, and its Quartz trigger is in error.</summary>
    public const string TriggerError = "pending_trigger_error";

    /// <summary>Pending, and its Quartz trigger is paused.</summary>
    public const string TriggerPaused = "pending_trigger_paused";

    /// <summary>Pending, and its Quartz trigger is blocked.</summary>
    public const string TriggerBlocked = "pending_trigger_blocked";

    /// <summary>A lost run whose re-run waited past the limit.</summary>
    public const string RecoveryWaiting = "recovery_waiting_too_long";

    public static IReadOnlyList<string> All { get; } = [LeaseExpired, TriggerMissing, TriggerError, TriggerPaused, TriggerBlocked, RecoveryWaiting];
}
