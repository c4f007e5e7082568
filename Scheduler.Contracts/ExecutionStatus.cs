using System.Text.Json.Serialization;

namespace Scheduler.Contracts;

/// <summary>
/// The states of one execution (<c>scheduled_jobs.status</c>). Each member's name in SQL, JSON and metrics is its
/// <see cref="JsonStringEnumMemberNameAttribute"/> (<see cref="EnumText"/>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecutionStatus>))]
public enum ExecutionStatus
{
    /// <summary>
    /// Recorded to run later (<c>runAt</c> or <c>delay</c>): <c>scheduledFor</c> is when it is due. It does not hold its
    /// type's one active slot; when due it becomes <c>pending</c>, or <c>skipped</c> if another run of the type is active.
    /// </summary>
    [JsonStringEnumMemberName("scheduled")]
    Scheduled,

    /// <summary>Recorded, not yet picked up by a node.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>A node is running it now.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Finished; <c>result</c> holds what it did.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>Finished with an error; <c>error</c> says why.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Stopped by an operator before or while it ran.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>An occurrence that was deliberately not run; <c>error</c> says why.</summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped,
}

/// <summary>How an execution came about (<c>scheduled_jobs.trigger</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecutionTrigger>))]
public enum ExecutionTrigger
{
    /// <summary>Through <c>POST /api/jobs/trigger</c>.</summary>
    [JsonStringEnumMemberName("manual")]
    Manual,

    /// <summary>The type's configured (<c>default</c>) schedule fired; <c>scheduledFor</c> is the occurrence.</summary>
    [JsonStringEnumMemberName("cron")]
    Cron,

    /// <summary>A new attempt of an earlier execution; <c>retryOf</c> links it.</summary>
    [JsonStringEnumMemberName("retry")]
    Retry,

    /// <summary>A re-run of an execution whose node was lost or shut down; <c>retryOf</c> links it.</summary>
    [JsonStringEnumMemberName("recovery")]
    Recovery,

    /// <summary>A missed occurrence run later on request (<c>POST /api/schedules/{jobType}/backfill</c>); <c>scheduledFor</c> is the occurrence.</summary>
    [JsonStringEnumMemberName("backfill")]
    Backfill,

    /// <summary>A named schedule (created through <c>/api/schedules</c>) fired; <c>schedule</c> names it, <c>scheduledFor</c> is the occurrence.</summary>
    [JsonStringEnumMemberName("schedule")]
    Schedule,
}

/// <summary>Why an execution ended <c>failed</c>, <c>cancelled</c> or <c>skipped</c>: <c>result.details.failure</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))]
public enum FailureKind
{
    /// <summary>The job or a service it called reported an error.</summary>
    [JsonStringEnumMemberName("error")]
    Error,

    /// <summary>The run exceeded its type's timeout and was interrupted.</summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,

    /// <summary>An operator cancelled it.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>The node running it stopped renewing its lease (killed, stalled or cut off from the database for a whole lease) before it finished.</summary>
    [JsonStringEnumMemberName("runner_lost")]
    RunnerLost,

    /// <summary>A lost run's re-run, given up because its type stayed busy past the recovery wait limit.</summary>
    [JsonStringEnumMemberName("recovery_abandoned")]
    RecoveryAbandoned,

    /// <summary>A pending run whose Quartz trigger sat in error, paused or blocked past the limit, so it never started.</summary>
    [JsonStringEnumMemberName("stuck")]
    Stuck,

    /// <summary>The node running it shut down before it finished.</summary>
    [JsonStringEnumMemberName("shutdown")]
    Shutdown,

    /// <summary>It was never handed to a node in time.</summary>
    [JsonStringEnumMemberName("not_submitted")]
    NotSubmitted,

    /// <summary>A cron occurrence, or a scheduled run come due, not run because the same job type was already running.</summary>
    [JsonStringEnumMemberName("overlap")]
    Overlap,

    /// <summary>A cron occurrence not run because it fired later than its misfire grace allows.</summary>
    [JsonStringEnumMemberName("misfire")]
    Misfire,
}

/// <summary>
/// The text each member of <see cref="ExecutionStatus"/>, <see cref="ExecutionTrigger"/> and <see cref="FailureKind"/> has
/// in SQL, JSON and metric labels: its <see cref="JsonStringEnumMemberNameAttribute"/>, the one table both the
/// serializer and the stores read.
/// </summary>
public static class EnumText
{
    /// <summary>The text of <paramref name="value"/>.</summary>
    public static string ToText(this ExecutionStatus value) => Table<ExecutionStatus>.Of(value);

    /// <summary>The text of <paramref name="value"/>.</summary>
    public static string ToText(this ExecutionTrigger value) => Table<ExecutionTrigger>.Of(value);

    /// <summary>The text of <paramref name="value"/>.</summary>
    public static string ToText(this FailureKind value) => Table<FailureKind>.Of(value);

    /// <summary>Every member's text, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Table<T>.All;

    /// <summary>The member whose text is <paramref name="text"/> (exactly); false for any other text.</summary>
    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum => Table<T>.Values.TryGetValue(text ?? "", out value);

    /// <summary>The member whose text is <paramref name="text"/>; a <see cref="FormatException"/> for any other text.</summary>
    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse(text, out T value) ? value : throw new FormatException($"'{text}' is not a {typeof(T).Name}");

    private static class Table<T> where T : struct, Enum
    {
        public static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v =>
            typeof(T).GetField(v.ToString())!.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
                .Cast<JsonStringEnumMemberNameAttribute>().SingleOrDefault()?.Name
            ?? throw new InvalidOperationException($"{typeof(T).Name}.{v} has no JsonStringEnumMemberName"));

        public static readonly Dictionary<string, T> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

        public static readonly IReadOnlyList<string> All = [.. Enum.GetValues<T>().Select(v => Names[v])];

        public static string Of(T value) => Names.TryGetValue(value, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }
}
