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

    /// <summary>A re-run of an execution whose node was lost or shut down; <c>retryOf</c> links it.</summary>
    public const string Recovery = "recovery";

    /// <summary>A missed occurrence run later on request (<c>POST /api/schedules/{jobType}/backfill</c>); <c>scheduledFor</c> is the occurrence.</summary>
    public const string Backfill = "backfill";
}

/// <summary>Why an execution ended <c>failed</c>, <c>cancelled</c> or <c>skipped</c>: <c>result.details.failure</c>.</summary>
public static class FailureKind
{
    /// <summary>The job or a service it called reported an error.</summary>
    public const string Error = "error";

    /// <summary>The run exceeded its type's timeout and was interrupted.</summary>
    public const string Timeout = "timeout";

    /// <summary>An operator cancelled it.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The node running it stopped renewing its lease (killed, stalled or cut off from the database for a whole lease) before it finished.</summary>
    public const string RunnerLost = "runner_lost";

    /// <summary>A lost run's re-run, given up because its type stayed busy past the recovery wait limit.</summary>
    public const string RecoveryAbandoned = "recovery_abandoned";

    /// <summary>A pending run whose Quartz trigger sat in error, paused or blocked past the limit, so it never started.</summary>
    public const string Stuck = "stuck";

    /// <summary>The node running it shut down before it finished.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>It was never handed to a node in time.</summary>
    public const string NotSubmitted = "not_submitted";

    /// <summary>A cron occurrence not run because the same job type was already running.</summary>
    public const string Overlap = "overlap";

    /// <summary>A cron occurrence not run because it fired later than its misfire grace allows.</summary>
    public const string Misfire = "misfire";
}
