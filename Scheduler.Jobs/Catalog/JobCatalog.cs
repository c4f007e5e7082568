using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Jobs.Cleanup;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Scheduling;
using Scheduler.Jobs.Crawling;
using Scheduler.Jobs.DeadLetters;
using Scheduler.Jobs.Digest;
using Scheduler.Jobs.HttpCalls;

namespace Scheduler.Jobs.Catalog;

/// <summary>
/// Every job type this node runs: the built-in types (<see cref="Workflows"/>, each defined beside its job,
/// and <see cref="HttpCallTypes"/>) with configuration applied, any HTTP-call type configuration declares
/// (<c>Jobs:&lt;name&gt;:Kind = HttpCall</c>), and the HTTP-call types defined at run time (<see cref="Define"/>).
/// </summary>
/// <remarks>
/// Readers see one immutable snapshot at a time: <see cref="Define"/> builds a new one and swaps it in whole, so a
/// reader never meets a half-changed catalog and never takes a lock. Configuration's types are in every snapshot.
/// </remarks>
public sealed partial class JobCatalog
{
    public const string JobGroup = "jobs";
    public const string CronTriggerGroup = "cron";
    public const string Section = "Jobs";

    private readonly IReadOnlyList<JobDefinition> _configured;
    private readonly HashSet<string> _configuredNames;
    private Snapshot _current;

    public JobCatalog(IEnumerable<JobDefinition> definitions)
    {
        _configured = [.. definitions];
        _configuredNames = new HashSet<string>(_configured.Select(d => d.Name), StringComparer.Ordinal);
        _current = new Snapshot(_configured);
    }

    /// <summary>The built-in workflow types, each defined beside its job class.</summary>
    public static IReadOnlyList<WorkflowType> Workflows { get; } =
        [CrawlPendingType.Definition, WeeklyDigestType.Definition, CleanupOldDataType.Definition, DlqDepthType.Definition];

    /// <summary>The built-in types with their defaults (schedules in UTC), before configuration.</summary>
    public static IReadOnlyList<JobDefinition> BuiltIn { get; } = [.. Workflows.Select(w => w.Defaults), .. HttpCallTypes.BuiltIn];

    /// <summary>The built-in types with no configuration applied (tests and tools that need the names).</summary>
    public static JobCatalog Defaults { get; } = new(BuiltIn);

    /// <summary>Every type, by name.</summary>
    public IReadOnlyList<JobDefinition> All => Volatile.Read(ref _current).All;

    public IReadOnlyList<string> Names => Volatile.Read(ref _current).Names;

    /// <summary>The types configuration defines (built in or declared), which the API may not change.</summary>
    public IReadOnlyList<JobDefinition> Configured => _configured;

    public bool TryGet(string? name, out JobDefinition definition)
    {
        if (name is not null && Volatile.Read(ref _current).ByName.TryGetValue(name, out var found))
        {
            definition = found;
            return true;
        }

        definition = null!;
        return false;
    }

    /// <summary>Whether configuration defines <paramref name="name"/> (so the API may not define, change or delete it).</summary>
    public bool IsConfigured(string name) => _configuredNames.Contains(name);

    /// <summary>
    /// Makes <paramref name="runtime"/> the run-time types, replacing the previous ones (configuration's stay; a
    /// run-time type with a configured name is ignored: configuration wins).
    /// </summary>
    public void Define(IEnumerable<JobDefinition> runtime) =>
        Volatile.Write(ref _current, new Snapshot([.. _configured, .. runtime.Where(d => !_configuredNames.Contains(d.Name))]));

    private sealed class Snapshot
    {
        public Snapshot(IEnumerable<JobDefinition> definitions)
        {
            ByName = definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);
            All = [.. ByName.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];
            Names = [.. All.Select(d => d.Name)];
        }

        public Dictionary<string, JobDefinition> ByName { get; }

        public IReadOnlyList<JobDefinition> All { get; }

        public IReadOnlyList<string> Names { get; }
    }

    /// <summary>
    /// The built-in types with <c>Jobs:&lt;name&gt;</c> applied, plus the HTTP-call types configuration
    /// declares. Every bad key in every section is reported at once, by key, never by value.
    /// </summary>
    public static JobCatalog Load(IConfiguration configuration)
    {
        var failures = new List<string>();
        var definitions = new List<JobDefinition>();
        var builtIn = BuiltIn.ToDictionary(d => d.Name, StringComparer.Ordinal);

        foreach (var definition in BuiltIn)
        {
            var path = $"{Section}:{definition.Name}";
            if (TryBind(configuration.GetSection(path), path, failures) is { } options)
            {
                definitions.Add(Apply(definition, options, path, failures, configuration));
            }
        }

        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            if (builtIn.ContainsKey(section.Key))
            {
                continue;
            }

            var path = section.Path;
            if (TryBind(section, path, failures) is not { } options)
            {
                continue;
            }

            if (!ValidName().IsMatch(section.Key))
            {
                failures.Add($"{path}: a job type name is 1 to 64 characters of a-z, 0-9 and _, starting with a letter.");
                continue;
            }

            if (options.Kind != JobKind.HttpCall)
            {
                failures.Add($"{path}: not a built-in job type; set {path}:Kind to HttpCall to declare an HTTP-call job. Built-in types: {string.Join(", ", builtIn.Keys)}.");
                continue;
            }

            var declared = HttpCallTypes.Declared(section.Key, options);
            foreach (var key in new[] { nameof(options.Cron), nameof(options.Service), nameof(options.Path) })
            {
                if (string.IsNullOrWhiteSpace(section[key]))
                {
                    failures.Add($"{path}:{key}: is required for an HTTP-call job.");
                }
            }

            definitions.Add(Apply(declared, options, path, failures, configuration));
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Section, typeof(JobTypeOptions), failures);
        }

        return new JobCatalog(definitions);
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex ValidName();

    private static JobTypeOptions? TryBind(IConfigurationSection section, string path, List<string> failures)
    {
        try
        {
            return ValidatedOptions.Bind<JobTypeOptions>(section, path);
        }
        catch (OptionsValidationException ex)
        {
            failures.AddRange(ex.Failures);
            return null;
        }
    }

    private static JobDefinition Apply(JobDefinition definition, JobTypeOptions options, string path, List<string> failures, IConfiguration configuration)
    {
        if (options.Kind is { } kind && kind != definition.Kind)
        {
            failures.Add($"{path}:Kind: {definition.Name} is a built-in {definition.Kind} type; its kind cannot be changed.");
        }

        if (definition.Kind == JobKind.Workflow && (options.Service ?? options.Method ?? options.Path ?? options.ItemsField) is not null)
        {
            failures.Add($"{path}: Service, Method, Path and ItemsField apply only to HTTP-call jobs.");
        }

        var call = definition.Kind == JobKind.HttpCall
            ? new HttpCallTarget(
                options.Service ?? definition.Call?.Service ?? "",
                options.Method ?? definition.Call?.Method ?? "POST",
                options.Path ?? definition.Call?.Path ?? "",
                options.ItemsField ?? definition.Call?.ItemsField)
            : null;

        var retries = options.Retries ?? definition.Retry.MaxAttempts;
        var retryDelay = options.RetryDelay ?? ((definition.Retry.MaxAttempts == 0) ? JobDefinition.DefaultRetryDelay : definition.Retry.InitialDelay);
        var retryMaxDelay = options.RetryMaxDelay ?? ((definition.Retry.MaxAttempts == 0) ? JobDefinition.DefaultRetryMaxDelay : definition.Retry.MaxDelay ?? JobDefinition.DefaultRetryMaxDelay);
        if (retryMaxDelay < retryDelay)
        {
            failures.Add($"{path}:RetryMaxDelay: must not be shorter than RetryDelay.");
            retryMaxDelay = retryDelay;
        }

        return definition with
        {
            // A parameter's default is the job's configured setting, so the trigger form shows what a cron run would use.
            // A floor lowered by its setting is no floor: the minimum is then the lowest it allows.
            Parameters = [.. definition.Parameters.Select(p => p.Floor is { } floor && bool.TryParse(configuration[floor.Setting], out var lowered) && lowered
                ? p with { Default = ConfiguredDefault(configuration, definition.Name, p), Minimum = floor.Lowest, Floor = null }
                : p with { Default = ConfiguredDefault(configuration, definition.Name, p) })],
            Retry = retries == 0 ? RetryPolicy.None : RetryPolicy.Exponential(retries, retryDelay, 2.0, retryMaxDelay),
            PauseAfterFailures = options.PauseAfterFailures ?? definition.PauseAfterFailures,
            Recoverable = options.Recoverable ?? definition.Recoverable,
            MisfireGrace = options.MisfireGrace ?? definition.MisfireGrace,
            Description = options.Description ?? definition.Description,
            // In Quartz's canonical spelling, so start-up compares like with like and 5-field Unix cron works here too.
            Cron = CronSyntax.TryNormalize(string.IsNullOrWhiteSpace(options.Cron) ? definition.Cron : options.Cron, out var cron, out _)
                ? cron
                : definition.Cron,
            TimeZone = string.IsNullOrWhiteSpace(options.TimeZone) ? definition.TimeZone : options.TimeZone,
            Enabled = options.Enabled ?? definition.Enabled,
            Scheduled = options.Scheduled ?? definition.Scheduled,
            Timeout = options.Timeout ?? definition.Timeout,
            Call = call,
            Services = call is null ? definition.Services : [call.Service],
            Alerts = new AlertThresholds(
                options.SlowAfterMultiple ?? definition.Alerts.SlowAfterMultiple,
                options.SlowAfterTimeoutFraction ?? definition.Alerts.SlowAfterTimeoutFraction,
                options.FailureRateAlert ?? definition.Alerts.FailureRateAlert),
        };
    }

    private static int ConfiguredDefault(IConfiguration configuration, string jobType, JobParameter parameter) =>
        parameter.Choices is null && int.TryParse(configuration[$"{Section}:{jobType}:{parameter.Setting}"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : parameter.Default;
}
