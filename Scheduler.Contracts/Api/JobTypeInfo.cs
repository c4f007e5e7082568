namespace Scheduler.Contracts.Api;

/// <summary>One job type as <c>GET /api/jobs/types</c> describes it: enough for a dashboard to render its trigger form.</summary>
public sealed record JobTypeInfo
{
    /// <summary>The job type, e.g. <c>crawl_pending</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What it does.</summary>
    public required string Description { get; init; }

    /// <summary><c>Workflow</c> (a job class) or <c>HttpCall</c> (one configured call to a service).</summary>
    public required string Kind { get; init; }

    /// <summary>False: it accepts no runs, scheduled or manual.</summary>
    public required bool Enabled { get; init; }

    /// <summary>The schedule configuration gives it (a run-time override may replace it: see <c>GET /api/schedules</c>).</summary>
    public required ScheduleDefinition DefaultSchedule { get; init; }

    /// <summary>How long one run may take before it is interrupted, in seconds.</summary>
    public required double TimeoutSeconds { get; init; }

    /// <summary>How a failed run is tried again.</summary>
    public required RetryPolicyInfo Retry { get; init; }

    /// <summary>Consecutive failed runs after which its schedule pauses itself; 0 never.</summary>
    public required int PauseAfterFailures { get; init; }

    /// <summary>Whether a run lost with its node runs again on another.</summary>
    public required bool Recoverable { get; init; }

    /// <summary>How late a cron occurrence may start and still run, in seconds; null: however late.</summary>
    public double? MisfireGraceSeconds { get; init; }

    /// <summary>The parameters a manual trigger may pass, with their defaults.</summary>
    public required IReadOnlyList<JobParameterInfo> Parameters { get; init; }

    /// <summary>
    /// Where the type is defined: <c>configuration</c> (built in, or <c>Jobs:&lt;name&gt;</c>; read-only through the API)
    /// or <c>api</c> (<c>POST /api/job-types</c>; changed, disabled and deleted there).
    /// </summary>
    public string Source { get; init; } = JobTypeSources.Configuration;

    /// <summary>The call an <c>HttpCall</c> type makes; null for workflows.</summary>
    public HttpCallInfo? Call { get; init; }
}

/// <summary>Where a job type is defined (<see cref="JobTypeInfo.Source"/>).</summary>
public static class JobTypeSources
{
    /// <summary>Built in, or declared under <c>Jobs:&lt;name&gt;</c>.</summary>
    public const string Configuration = "configuration";

    /// <summary>Defined through <c>POST /api/job-types</c>.</summary>
    public const string Api = "api";
}

/// <summary>The one call an HTTP-call job type makes: <c>Method</c> <c>Path</c> on <c>Service</c>.</summary>
/// <param name="Service">The downstream service, e.g. <c>CoreApi</c>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path on the service.</param>
/// <param name="Body">The JSON body sent, if any.</param>
/// <param name="ItemsField">The numeric property of the answer that counts the items handled, if any.</param>
public sealed record HttpCallInfo(string Service, string Method, string Path, System.Text.Json.JsonElement? Body, string? ItemsField);

/// <summary>A cron schedule.</summary>
/// <param name="Cron">Quartz cron expression, seconds first.</param>
/// <param name="TimeZone">IANA time zone the expression is read in.</param>
/// <param name="Enabled">Whether the type runs on this schedule (false: manual only).</param>
public sealed record ScheduleDefinition(string Cron, string TimeZone, bool Enabled);

/// <summary>Automatic retries after a failed run: each attempt waits <c>DelaySeconds</c>, doubled each time, at most <c>MaxDelaySeconds</c>.</summary>
/// <param name="Attempts">Retries after the first failure; 0 for none.</param>
/// <param name="DelaySeconds">The wait before the first retry.</param>
/// <param name="MaxDelaySeconds">The longest wait.</param>
public sealed record RetryPolicyInfo(int Attempts, double DelaySeconds, double? MaxDelaySeconds);

/// <summary>A parameter of a manual trigger (<c>parameters.&lt;Name&gt;</c>).</summary>
/// <param name="Name">Its name in <c>parameters</c>.</param>
/// <param name="Type">Its JSON type: <c>integer</c>, or <c>array</c> (distinct names from <see cref="Choices"/>).</param>
/// <param name="Default">What the run uses when it is not given (the configured setting); for an array, how many choices it runs (all).</param>
/// <param name="Minimum">The smallest value accepted; for an array, the fewest items.</param>
/// <param name="Maximum">The largest value accepted; for an array, the most items.</param>
/// <param name="Description">What it changes.</param>
public sealed record JobParameterInfo(string Name, string Type, int Default, int Minimum, int Maximum, string Description)
{
    /// <summary>For an array: the names its items may take, each at most once; all of them when it is not given. Null for an integer.</summary>
    public IReadOnlyList<string>? Choices { get; init; }
}
