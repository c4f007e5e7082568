namespace Scheduler.Contracts;

/// <summary>The states of one execution (<c>scheduled_jobs.status</c>).</summary>
public static class ExecutionStatus
{
    /// <summary>Recorded, not yet picked up by a node.</summary>
    public const string Pending = "pending";

    /// <summary>A node is running it now.</summary>
    public const string Running = "running";

    /// <summary>Finished; <c>result</c> holds what it did.</summary>
    public const string Completed = "completed";

    /// <summary>Finished with an error; <c>error</c> says why.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped by an operator before or while it ran.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>An occurrence that was deliberately not run; <c>error</c> says why.</summary>
    public const string Skipped = "skipped";

    /// <summary>Every status, in lifecycle order.</summary>
    public static IReadOnlyList<string> All { get; } = [Pending, Running, Completed, Failed, Cancelled, Skipped];
}

/// <summary>How an execution came about (<c>scheduled_jobs.trigger</c>).</summary>
public static class ExecutionTrigger
{
    /// <summary>Through <c>POST /api/jobs/trigger</c>.</summary>
    public const string Manual = "manual";

    /// <summary>A schedule fired; <c>scheduledFor</c> is the occurrence.</summary>
    public const string Cron = "cron";

    /// <summary>A new attempt of an earlier execution; <c>retryOf</c> links it.</summary>
    public const string Retry = "retry";
}
