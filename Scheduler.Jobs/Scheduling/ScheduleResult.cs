namespace Scheduler.Jobs.Scheduling;

/// <summary>What a <see cref="ScheduleControl"/> use case came to; the API answers each with its own status.</summary>
public abstract record ScheduleResult
{
    private ScheduleResult()
    {
    }

    /// <summary>Carried out, audited, and told to the live views.</summary>
    public sealed record Changed : ScheduleResult;

    /// <summary>Refused for what was asked, by field; nothing changed.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : ScheduleResult
    {
        public Invalid(string field, string reason)
            : this(new Dictionary<string, string[]> { [field] = [reason] })
        {
        }
    }

    /// <summary>There is nothing of the kind to change (no override to remove).</summary>
    public sealed record NotFound(string Title, string Detail) : ScheduleResult;

    /// <summary>Not possible in the schedule's present state; nothing changed.</summary>
    public sealed record Conflict(string Title, string Detail) : ScheduleResult;

    /// <summary>The occurrences without a row, and the backfill that runs them (null for a dry run or when none are missing).</summary>
    public sealed record Backfilled(IReadOnlyList<DateTimeOffset> Missing, Guid? BackfillId) : ScheduleResult;
}

/// <summary>A pause to make: why, when it ends by itself, and what its audit row says of it.</summary>
public sealed record PauseOrder
{
    private PauseOrder(string reason, DateTimeOffset? until, bool keepsEnd, object details)
    {
        Reason = reason;
        Until = until;
        KeepsEnd = keepsEnd;
        Details = details;
    }

    public string Reason { get; }

    /// <summary>When the pause ends by itself; null: when resumed.</summary>
    public DateTimeOffset? Until { get; }

    /// <summary>Whether an end set earlier stays as it is (<see cref="Until"/> is then not written).</summary>
    public bool KeepsEnd { get; }

    /// <summary>The audit row's details.</summary>
    public object Details { get; }

    /// <summary>An operator's pause, until <paramref name="until"/> or until resumed.</summary>
    public static PauseOrder Requested(string reason, DateTimeOffset? until) => new(reason, until, keepsEnd: false, new { reason, until });

    /// <summary>
    /// The scheduler's own pause after <paramref name="failures"/> consecutive failed runs. An end an operator gave an
    /// earlier pause stays: this pause only says why the schedule should stay off.
    /// </summary>
    public static PauseOrder AfterFailures(int failures, string lastError, Guid lastExecutionId)
    {
        var reason = $"paused after {failures} consecutive failed runs; last error: {lastError}";
        return new(reason, null, keepsEnd: true, new { reason, consecutiveFailures = failures, lastExecutionId });
    }
}

/// <summary>A resume: whether the pause's end was already taken (it is what resumes it), and what its audit row says.</summary>
public sealed record ResumeOrder
{
    private ResumeOrder(bool endTaken, string? reason)
    {
        EndTaken = endTaken;
        Reason = reason;
    }

    /// <summary>An operator's resume: any end the pause had is cleared with it.</summary>
    public static ResumeOrder Requested { get; } = new(endTaken: false, null);

    /// <summary>The scheduler's resume once the pause reached its end, whose row it has already taken.</summary>
    public static ResumeOrder PauseEnded { get; } = new(endTaken: true, "the pause reached its end");

    /// <summary>Whether the pause's end is already gone (nothing to clear).</summary>
    public bool EndTaken { get; }

    private string? Reason { get; }

    /// <summary>The audit row's details: why, when the scheduler resumed, and the pause that ended.</summary>
    public object Details(string? pausedBecause, string? pausedBy) => Reason is null
        ? new { pausedBecause, pausedBy }
        : new { reason = Reason, pausedBecause, pausedBy };
}
