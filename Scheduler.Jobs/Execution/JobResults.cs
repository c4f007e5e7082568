using Scheduler.Contracts;

namespace Scheduler.Jobs.Execution;

/// <summary>Helpers for building the <see cref="JobResult"/> a job leaves in <c>context.Result</c>.</summary>
public static class JobResults
{
    /// <summary>At most this many error messages are kept in a result.</summary>
    public const int MaxErrors = 20;

    /// <summary>A successful run that found nothing to do, saying so in <c>details.note</c>.</summary>
    public static JobResult NothingToDo(string why) => new()
    {
        Success = true,
        ItemsProcessed = 0,
        Details = new Dictionary<string, object?> { ["note"] = why },
    };

    /// <summary>A run that ended without success, with why (<see cref="FailureKind"/>) in <c>details.failure</c>.</summary>
    public static JobResult Failed(string error, FailureKind failureKind) => new()
    {
        Success = false,
        Errors = [error],
        Details = new Dictionary<string, object?> { ["failure"] = failureKind.ToText() },
    };

    /// <summary>An occurrence deliberately not run, with why in <c>details.failure</c>.</summary>
    public static JobResult Skipped(string why, FailureKind failureKind) => Failed(why, failureKind);

    /// <summary><paramref name="result"/> with why it ended in <c>details.failure</c>.</summary>
    public static JobResult WithFailure(JobResult result, FailureKind failureKind) =>
        result with { Details = new Dictionary<string, object?>(result.Details) { ["failure"] = failureKind.ToText() } };

    /// <summary>The most recent <see cref="MaxErrors"/> messages, most recent first, from messages in the order they happened.</summary>
    public static IReadOnlyList<string> Bounded(IEnumerable<string> messagesInOrder) =>
        [.. messagesInOrder.Reverse().Take(MaxErrors)];

    internal static JobResult WithDuration(JobResult result, TimeSpan duration)
    {
        var details = new Dictionary<string, object?>(result.Details)
        {
            ["duration"] = FormatDuration(duration),
            ["durationMs"] = (long)duration.TotalMilliseconds,
        };
        return result with { Details = details };
    }

    public static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds < 10
            ? $"{duration.TotalSeconds:0.###}s"
            : $"{Math.Round(duration.TotalSeconds):0}s";
}
