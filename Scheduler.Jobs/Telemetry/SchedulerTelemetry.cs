using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Telemetry;

/// <summary>
/// The service's own meter and activity source, both named <c>Scheduler</c>. Every series an alert reads exists
/// from start-up: counters are seeded with zero for each job type, and gauges are observed from the
/// <see cref="JobHealthSnapshot"/>. Metric names as Prometheus shows them are in the README.
/// </summary>
public sealed class SchedulerTelemetry
{
    public const string Name = "Scheduler";

    /// <summary>Traces of job executions, continuing the trace of the request that triggered them.</summary>
    public static readonly ActivitySource Activities = new(Name);

    /// <summary>Seconds; from a tenth of a second to two hours, for jobs that take minutes.</summary>
    public static readonly double[] DurationBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

    /// <summary>Seconds of lateness: a good cron fires within tens of milliseconds, a bad one minutes late.</summary>
    public static readonly double[] LatenessBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Counter<long> _executions;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _items;
    private readonly Histogram<double> _lateness;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _leasesLost;
    private volatile IReadOnlyDictionary<string, int> _stuck = new Dictionary<string, int>();
    private volatile IReadOnlyDictionary<string, TimeSpan> _overdue = new Dictionary<string, TimeSpan>();

    public SchedulerTelemetry(IMeterFactory meters, JobCatalog catalog, RunningExecutions running, JobHealthSnapshot snapshot, TimeProvider time, IOptions<HeartbeatOptions> heartbeat)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(catalog);
        var meter = meters.Create(Name);
        _executions = meter.CreateCounter<long>("scheduler.job.executions", "{execution}", "Executions that ended, by job type, status and trigger.");
        _failures = meter.CreateCounter<long>("scheduler.job.failures", "{execution}", "Executions that failed or were cancelled, by why.");
        _duration = meter.CreateHistogram("scheduler.job.duration", "s", "How long executions ran.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _items = meter.CreateCounter<long>("scheduler.job.items_processed", "{item}", "Items the jobs reported processing.");
        _lateness = meter.CreateHistogram("scheduler.job.lateness", "s", "How late scheduled executions (cron or named schedule) started after their fire time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatenessBuckets });
        _leasesLost = meter.CreateCounter<long>("scheduler.lease.lost", "{execution}",
            "Runs this node stopped because another node's claim replaced its lease (its writes for them refused).");
        meter.CreateObservableGauge("scheduler.outcomes.waiting", () => running.OutcomesWaiting, "{execution}",
            "Finished runs whose outcome this node keeps and retries because the database cannot be reached.");
        meter.CreateObservableGauge("scheduler.stuck_executions", () => StuckStates.All.Select(state => new Measurement<int>(_stuck.GetValueOrDefault(state), Tag("state", state))),
            "{execution}", "Executions found stuck by the supervisor's last sweep, by state (each is then ended or re-run with the reason recorded).");
        _skipped = meter.CreateCounter<long>("scheduler.job.skipped", "{occurrence}", "Cron occurrences (and scheduled runs come due) recorded skipped instead of run, by reason.");

        meter.CreateObservableGauge("scheduler.job.running", () => catalog.Names.Select(type =>
            new Measurement<int>(running.CountOf(type), new KeyValuePair<string, object?>("job_type", type))), "{execution}", "Executions running on this node.");
        meter.CreateObservableGauge("scheduler.job.last_success_timestamp", () => PerType(catalog, snapshot,
            health => health?.LastSuccessAt?.ToUnixTimeMilliseconds() / 1000.0 ?? 0), "s", "Unix time of the type's last success across the cluster; 0 if never.");
        meter.CreateObservableGauge("scheduler.job.consecutive_failures", () => PerType(catalog, snapshot,
            health => health?.ConsecutiveFailures ?? 0), "{execution}", "Failed runs in a row, across the cluster.");
        meter.CreateObservableGauge("scheduler.job.expected_interval", () => PerType(catalog, snapshot,
            health => health?.ExpectedInterval?.TotalSeconds ?? 0), "s", "Seconds between the type's scheduled fires; 0 when it has no schedule.");
        meter.CreateObservableGauge("scheduler.job.paused", () => PerType(catalog, snapshot,
            health => health?.Paused == true ? 1 : 0), description: "1 while the type's schedule is paused.");
        meter.CreateObservableGauge("scheduler.job.overdue", () => PerType(catalog, snapshot,
            health => health?.Overdue is null ? 0 : 1), description: "1 while a due occurrence of the type has no row, or it has not succeeded for twice its interval.");
        meter.CreateObservableGauge("scheduler.schedule.invalid", () => PerType(catalog, snapshot,
            health => health?.InvalidSchedule is null ? 0 : 1), description: "1 while the type's schedule cannot be scheduled (it never fires again, or its time zone is unknown) and is not applied.");

        // What the slow-run, backlog, failure-rate and dead-letter alerts compare. Thresholds come from configuration,
        // ages from this node's memory and its supervisor's sweep, the depth from the last sample in the history: no
        // scrape reads the database.
        meter.CreateObservableGauge("scheduler.job.oldest_running", () => catalog.Names.Select(type =>
            new Measurement<double>(running.OldestOf(type).TotalSeconds, Tag("job_type", type))), "s",
            "How long the longest-running execution of the type on this node has run; 0 when none runs.");
        meter.CreateObservableGauge("scheduler.job.slow_after", () => Definitions(catalog).Select(d =>
            new Measurement<double>(d.Timeout.TotalSeconds * d.Alerts.SlowAfterTimeoutFraction, Tag("job_type", d.Name))), "s",
            "A run of the type is slow past this many seconds (Jobs:<type>:SlowAfterTimeoutFraction of its timeout).");
        meter.CreateObservableGauge("scheduler.job.slow_after_multiple", () => Definitions(catalog).Select(d =>
            new Measurement<double>(d.Alerts.SlowAfterMultiple, Tag("job_type", d.Name))),
            description: "A run of the type is slow past this many times its p95 duration (Jobs:<type>:SlowAfterMultiple).");
        meter.CreateObservableGauge("scheduler.job.failure_rate_threshold", () => Definitions(catalog).Select(d =>
            new Measurement<double>(d.Alerts.FailureRateAlert, Tag("job_type", d.Name))),
            description: "The share of failed executions over which the type alerts (Jobs:<type>:FailureRateAlert).");
        meter.CreateObservableGauge("scheduler.runs.overdue", () => catalog.Names.Select(type =>
            new Measurement<double>(_overdue.GetValueOrDefault(type).TotalSeconds, Tag("job_type", type))), "s",
            "How long past its due time the type's oldest pending (or scheduled and due) execution is, as the supervisor's last sweep found; 0 when none is overdue.");
        meter.CreateObservableGauge("scheduler.dlq.depth", () => snapshot.DeadLetters is { } sample
            ? DeadLetterKinds.Each.Select(kind => new Measurement<long>(sample.Depth.GetValueOrDefault(kind), Tag("kind", kind)))
            : [], "{item}", "Dead letters the core API held, by kind, at the latest dlq_depth sample; absent before the first.");
        meter.CreateObservableGauge("scheduler.dlq.depth_sampled_timestamp", () => snapshot.DeadLetters is { } sample
            ? [new Measurement<double>(sample.SampledAt.ToUnixTimeMilliseconds() / 1000.0)]
            : Array.Empty<Measurement<double>>(), "s", "Unix time of the latest dlq_depth sample; absent before the first.");

        // The previous service's names, kept exactly for its dashboards and alerts.
        var ttl = heartbeat.Value.Ttl;
        meter.CreateObservableGauge("job_runner_up", () =>
            snapshot.SchedulerRunning && snapshot.HeartbeatAge(time.GetUtcNow()) <= ttl ? 1 : 0,
            description: "1 while this node's scheduler runs and its heartbeat is fresh.");
        meter.CreateObservableGauge("job_heartbeat_age_seconds", () => new Measurement<double>(
            // Before the first heartbeat, its age is the node's: a node that never beats goes stale too.
            snapshot.HeartbeatAge(time.GetUtcNow()).TotalSeconds,
            new KeyValuePair<string, object?>("job", "jobs-runner")), description: "Seconds since this node last wrote its jobs-runner heartbeat.");

        foreach (var type in catalog.Names)
        {
            StartSeries(type);
        }
    }

    /// <summary>
    /// The type's counters at zero, so "no failures yet" is a series, not a gap: every type at start-up, and a type
    /// defined through the API when this node learns of it (adding zero again changes nothing).
    /// </summary>
    public void StartSeries(string type)
    {
        foreach (var trigger in (ExecutionTrigger[])[ExecutionTrigger.Manual, ExecutionTrigger.Cron, ExecutionTrigger.Schedule])
        {
            foreach (var status in (ExecutionStatus[])[ExecutionStatus.Completed, ExecutionStatus.Failed])
            {
                _executions.Add(0, Tag("job_type", type), Tag("status", status), Tag("trigger", trigger));
            }
        }

        _skipped.Add(0, Tag("job_type", type), Tag("reason", FailureKind.Overlap));
        _skipped.Add(0, Tag("job_type", type), Tag("reason", FailureKind.Misfire));
        _failures.Add(0, Tag("job_type", type), Tag("reason", FailureKind.Error));
        _failures.Add(0, Tag("job_type", type), Tag("reason", FailureKind.Timeout));
        _items.Add(0, Tag("job_type", type));
        _leasesLost.Add(0, Tag("job_type", type));
    }

    /// <summary>An execution ended: its status, how long it ran, what it processed and, if it did not succeed, why.</summary>
    public void Ended(string jobType, ExecutionStatus status, ExecutionTrigger trigger, TimeSpan duration, int itemsProcessed, FailureKind? failureKind)
    {
        _executions.Add(1, Tag("job_type", jobType), Tag("status", status), Tag("trigger", trigger));
        _duration.Record(duration.TotalSeconds, Tag("job_type", jobType), Tag("status", status));
        if (itemsProcessed > 0)
        {
            _items.Add(itemsProcessed, Tag("job_type", jobType));
        }

        if (failureKind is { } reason)
        {
            _failures.Add(1, Tag("job_type", jobType), Tag("reason", reason));
        }
    }

    /// <summary>A running execution was ended "runner lost" by this node's sweep.</summary>
    /// <summary>A run this node stopped because its lease was taken over.</summary>
    public void LeaseLost(string jobType) => _leasesLost.Add(1, Tag("job_type", jobType));

    /// <summary>How long past due each type's oldest waiting execution is, as the supervisor's last sweep found (types not named: none).</summary>
    public void Overdue(IReadOnlyDictionary<string, TimeSpan> byType) => _overdue = byType;

    /// <summary>What the supervisor's last sweep found stuck, by state.</summary>
    public void Stuck(IReadOnlyDictionary<string, int> byState) => _stuck = byState;

    public void Lost(string jobType) => _failures.Add(1, Tag("job_type", jobType), Tag("reason", FailureKind.RunnerLost));

    /// <summary>A schedule's execution (<c>cron</c> or <c>schedule</c>) started <paramref name="lateness"/> after its scheduled fire time.</summary>
    public void Started(string jobType, TimeSpan lateness) =>
        _lateness.Record(Math.Max(0, lateness.TotalSeconds), Tag("job_type", jobType));

    /// <summary>
    /// A schedule's occurrence (<paramref name="trigger"/> cron or schedule; or a scheduled run come due, manual or retry) was recorded skipped
    /// (<see cref="FailureKind.Overlap"/> or <see cref="FailureKind.Misfire"/>).
    /// </summary>
    public void Skipped(string jobType, FailureKind reason, ExecutionTrigger trigger = ExecutionTrigger.Cron)
    {
        _skipped.Add(1, Tag("job_type", jobType), Tag("reason", reason));
        _executions.Add(1, Tag("job_type", jobType), Tag("status", ExecutionStatus.Skipped), Tag("trigger", trigger));
    }

    private static IEnumerable<Measurement<double>> PerType(JobCatalog catalog, JobHealthSnapshot snapshot, Func<JobTypeHealth?, double> value) =>
        catalog.Names.Select(type => new Measurement<double>(
            value(snapshot.Types.GetValueOrDefault(type)), new KeyValuePair<string, object?>("job_type", type)));

    private static IEnumerable<JobDefinition> Definitions(JobCatalog catalog) => catalog.All;

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    private static KeyValuePair<string, object?> Tag(string key, ExecutionStatus value) => new(key, value.ToText());

    private static KeyValuePair<string, object?> Tag(string key, ExecutionTrigger value) => new(key, value.ToText());

    private static KeyValuePair<string, object?> Tag(string key, FailureKind value) => new(key, value.ToText());
}
