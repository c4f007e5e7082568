using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Scheduler.Jobs.Configuration;

namespace Scheduler.Jobs.Catalog;

/// <summary>
/// A built-in workflow type, defined in one place beside its job class: name, description, defaults, the
/// parameters a manual run may pass, and its options. The catalog lists it from here (<see cref="JobCatalog.Workflows"/>)
/// and <c>AddJobs</c> binds its options from here.
/// </summary>
public abstract class WorkflowType
{
    /// <summary>The type as the catalog lists it before configuration (<c>Jobs:&lt;name&gt;</c>) is applied.</summary>
    public abstract JobDefinition Defaults { get; }

    /// <summary>The options class its job reads, bound from <see cref="OptionsSection"/>.</summary>
    public abstract Type OptionsType { get; }

    /// <summary>Its own settings sit in the same section as the settings every type takes.</summary>
    public string OptionsSection => $"{JobCatalog.Section}:{Defaults.Name}";

    /// <summary>Registers its options, validated at start-up, and returns the validated settings.</summary>
    public abstract object AddOptions(IServiceCollection services, IConfiguration configuration);
}

/// <summary>A workflow type run by <typeparamref name="TJob"/>, with settings <typeparamref name="TOptions"/>.</summary>
public sealed class WorkflowType<TJob, TOptions> : WorkflowType
    where TJob : IJob
    where TOptions : class, new()
{
    /// <summary>A <see cref="Scheduler.Contracts.JobTypes"/> name.</summary>
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>Quartz cron expression (seconds first), in UTC unless configured otherwise.</summary>
    public required string Cron { get; init; }

    public required TimeSpan Timeout { get; init; }

    public RetryPolicy Retry { get; init; } = JobDefinition.DefaultRetry;

    public TimeSpan? MisfireGrace { get; init; }

    /// <summary>The services (<see cref="Clients.ServiceNames"/>) the job calls.</summary>
    public required IReadOnlyList<string> Services { get; init; }

    public IReadOnlyList<JobParameter<TOptions>> Parameters { get; init; } = [];

    // Built on first use, after the initializer has set the properties; building it twice would give an equal one.
    public override JobDefinition Defaults => field ??= new JobDefinition
    {
        Name = Name,
        Description = Description,
        Kind = JobKind.Workflow,
        JobClass = typeof(TJob),
        Cron = Cron,
        Timeout = Timeout,
        Retry = Retry,
        MisfireGrace = MisfireGrace,
        Services = Services,
        Parameters = [.. Parameters.Select(p => p.Describe())],
    };

    public override Type OptionsType => typeof(TOptions);

    public override object AddOptions(IServiceCollection services, IConfiguration configuration) =>
        services.AddValidatedOptions<TOptions>(configuration, OptionsSection);
}
