using Quartz;

namespace Scheduler.Jobs.Catalog;

/// <summary>How a job type does its work.</summary>
public enum JobKind
{
    /// <summary>A workflow written as a job class (fetch, batch, send, record).</summary>
    Workflow,

    /// <summary>One HTTP call to a service, described entirely by configuration.</summary>
    HttpCall,
}

/// <summary>
/// A job type as this node runs it: the catalog's defaults with configuration (<c>Jobs:&lt;name&gt;</c>) applied.
/// </summary>
public sealed record JobDefinition
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    public required JobKind Kind { get; init; }

    /// <summary>The <see cref="IJob"/> class that runs it.</summary>
    public required Type JobClass { get; init; }

    /// <summary>Quartz cron expression (seconds first), read in <see cref="TimeZone"/>.</summary>
    public required string Cron { get; init; }

    /// <summary>IANA time zone of the cron expression.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>False: the type neither fires on its schedule nor accepts manual triggers.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>False: the type runs only when triggered by hand.</summary>
    public bool Scheduled { get; init; } = true;

    /// <summary>How long one run may take before it is interrupted and recorded as timed out.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>
    /// How a failed run is tried again: Quartz's <see cref="RetryPolicy"/> (attempts after the first failure,
    /// exponential waits with a cap). Each attempt is its own execution, linked by <c>retry_of</c>.
    /// </summary>
    public RetryPolicy Retry { get; init; } = DefaultRetry;

    /// <summary>Two retries, 30 seconds apart and doubling, at most 10 minutes: every type's unless configured.</summary>
    public static RetryPolicy DefaultRetry { get; } = RetryPolicy.Exponential(2, DefaultRetryDelay, 2.0, DefaultRetryMaxDelay);

    /// <summary>The first wait of a retry policy whose delays are not configured.</summary>
    public static TimeSpan DefaultRetryDelay => TimeSpan.FromSeconds(30);

    /// <summary>The longest wait of a retry policy whose delays are not configured.</summary>
    public static TimeSpan DefaultRetryMaxDelay => TimeSpan.FromMinutes(10);

    /// <summary>After this many consecutive failed runs (retries exhausted) the schedule pauses itself; 0 never.</summary>
    public int PauseAfterFailures { get; init; } = 5;

    /// <summary>Whether a run lost with its node (killed, or shut down mid-run) is run again on another node.</summary>
    public bool Recoverable { get; init; } = true;

    /// <summary>A cron occurrence firing later than this is recorded <c>skipped</c> instead of run; null runs it however late.</summary>
    public TimeSpan? MisfireGrace { get; init; }

    /// <summary>The services (<see cref="Clients.ServiceNames"/>) the type calls.</summary>
    public required IReadOnlyList<string> Services { get; init; }

    /// <summary>The thresholds the alerts read from the type's gauges (slow runs, failure rate).</summary>
    public AlertThresholds Alerts { get; init; } = AlertThresholds.Default;

    /// <summary>What a manual trigger may pass for one run, with defaults from configuration.</summary>
    public IReadOnlyList<JobParameter> Parameters { get; init; } = [];

    /// <summary>The call an <see cref="JobKind.HttpCall"/> type makes; null for workflows.</summary>
    public HttpCallTarget? Call { get; init; }

    /// <summary>
    /// Where the type is defined: <c>configuration</c> (read-only through the API) or <c>api</c>
    /// (<see cref="Scheduler.Contracts.Api.JobTypeSources"/>).
    /// </summary>
    public string Source { get; init; } = Scheduler.Contracts.Api.JobTypeSources.Configuration;

    /// <summary>Whether the type was defined through the API (and so may be changed or deleted there).</summary>
    public bool DefinedAtRunTime => Source == Scheduler.Contracts.Api.JobTypeSources.Api;

    /// <summary>The durable Quartz job every trigger of this type fires.</summary>
    public JobKey JobKey => new(Name, JobCatalog.JobGroup);

    /// <summary>The type's one cron trigger.</summary>
    public TriggerKey CronTriggerKey => new(Name, JobCatalog.CronTriggerGroup);
}

/// <summary>What an HTTP-call job sends: <c>Method</c> <c>Path</c> on <c>Service</c>, with <c>Body</c> when it has one.</summary>
/// <param name="Service">A <see cref="Clients.ServiceNames"/> entry.</param>
/// <param name="Method">The HTTP method, normally POST.</param>
/// <param name="Path">The path on the service, starting with <c>/</c>.</param>
/// <param name="ItemsField">A numeric property of the JSON answer that counts the items handled, if the service reports one.</param>
/// <param name="Body">The JSON sent with the call; null sends none.</param>
public sealed record HttpCallTarget(string Service, string Method, string Path, string? ItemsField = null, System.Text.Json.JsonElement? Body = null);

/// <summary>
/// What counts as a slow run or a high failure rate for a type (<c>Jobs:&lt;type&gt;:SlowAfterMultiple</c>,
/// <c>SlowAfterTimeoutFraction</c>, <c>FailureRateAlert</c>). The service exports them as gauges and the alert rules
/// compare against those, so a threshold changes with configuration, not with the rules.
/// </summary>
/// <param name="SlowAfterMultiple">A run is slow past this many times the type's typical (p95) duration.</param>
/// <param name="SlowAfterTimeoutFraction">A run is slow past this share of its timeout.</param>
/// <param name="FailureRateAlert">The share of failed executions over which the type alerts.</param>
public sealed record AlertThresholds(double SlowAfterMultiple, double SlowAfterTimeoutFraction, double FailureRateAlert)
{
    /// <summary>Three times the p95, 80 % of the timeout, 10 % failures.</summary>
    public static AlertThresholds Default { get; } = new(3, 0.8, 0.1);
}
