using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.DeadLetters;
using Scheduler.Jobs.Digest;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.HttpCalls;
using Scheduler.Jobs.Scheduling;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// The catalog (built-in types with configuration applied, plus configured HTTP-call types), each
    /// job's options, the typed clients with their resilience, and the stores the jobs write.
    /// Every bad setting is reported at once, by key.
    /// </summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        var failures = new List<string>();
        T? Collect<T>(Func<T> read) where T : class
        {
            try
            {
                return read();
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures);
                return null;
            }
        }

        var catalog = Collect(() => JobCatalog.Load(configuration));
        foreach (var workflow in JobCatalog.Workflows)
        {
            Collect(() => workflow.AddOptions(services, configuration));
        }

        Collect(() => services.AddValidatedOptions<HeartbeatOptions>(configuration, HeartbeatOptions.Section));
        Collect(() => services.AddValidatedOptions<NamedScheduleOptions>(configuration, NamedScheduleOptions.Section));
        Collect(() => services.AddValidatedOptions<DeadLetterOptions>(configuration, DeadLetterOptions.Section));

        var endpoints = new Dictionary<string, ServiceEndpoint>(StringComparer.Ordinal);
        foreach (var service in ServiceNames.All)
        {
            var path = $"Services:{service}";
            var section = configuration.GetSection(path);
            ServiceEndpoint? endpoint = service == ServiceNames.CoreApi
                ? Collect(() => ValidatedOptions.Bind<CoreApiEndpoint>(section, path))
                : Collect(() => ValidatedOptions.Bind<ServiceEndpoint>(section, path));
            endpoints[service] = endpoint ?? (service == ServiceNames.CoreApi ? new CoreApiEndpoint() : new ServiceEndpoint());
            if (endpoint is not null && catalog is not null)
            {
                var callers = catalog.All.Where(d => d.Enabled && d.Services.Contains(service)).Select(d => d.Name);
                failures.AddRange(DownstreamClients.Requirements(service, endpoint, callers));
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("configuration", typeof(JobsServiceCollectionExtensions), failures);
        }

        DapperTypes.Register();
        services.AddSingleton(catalog!);
        services.AddSingleton<ExecutionStore>();
        services.AddSingleton<ExecutionHistory>();
        services.AddSingleton<RecoveryStore>();
        services.AddSingleton<ExecutionArchive>();
        services.AddSingleton<Cleanup.RetentionPurge>();
        // The supervisor's sweeps and count folding go through the background pool.
        services.AddKeyedSingleton(SchedulerDataSources.Background,
            (sp, key) => new RecoveryStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(key)));
        services.AddKeyedSingleton(SchedulerDataSources.Background,
            (sp, key) => new ExecutionArchive(sp.GetRequiredKeyedService<NpgsqlDataSource>(key)));
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunLifecycle>();
        services.AddSingleton<ExecutionControl>();
        services.AddSingleton<BulkExecutionControl>();
        services.AddSingleton<DatabaseContact>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<ScheduleStore>();
        // The node's own upkeep (heartbeats, missed-run checks) reads schedules through the background pool.
        services.AddKeyedSingleton(SchedulerDataSources.Background,
            (sp, key) => new ScheduleStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(key)));
        services.AddSingleton<SchedulerEventStore>();
        services.AddSingleton<ExecutionLogStore>();
        // What a job logs while it runs is also kept for that execution (GET /api/jobs/{id}/logs).
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider, ExecutionLogCapture>();
        // Its own level, whatever the console's: a run's log has its Information lines even where the console keeps only warnings.
        services.Configure<Microsoft.Extensions.Logging.LoggerFilterOptions>(filters => filters.Rules.Add(
            new Microsoft.Extensions.Logging.LoggerFilterRule(typeof(ExecutionLogCapture).FullName, null, Microsoft.Extensions.Logging.LogLevel.Information, null)));
        services.AddSingleton<DigestDeliveryStore>();
        services.AddSingleton(RunnerIdentity.From(configuration));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<JobHealthSnapshot>();
        services.AddSingleton<SchedulerTelemetry>();
        services.AddMemoryCache();
        services.AddTransient<StartedByResolver>();
        // The use cases around schedules and runs, and the policies the recording middleware applies.
        services.AddSingleton<ScheduleRefusals>();
        services.AddSingleton<ScheduleManager>();
        // The node's own upkeep (heartbeats, readiness) reads schedules through the background pool.
        services.AddKeyedSingleton(SchedulerDataSources.Background, (sp, key) => new ScheduleManager(
            sp.GetRequiredService<ISchedulerFactory>(), sp.GetRequiredService<JobCatalog>(), sp.GetRequiredKeyedService<ScheduleStore>(key),
            sp.GetRequiredService<ScheduleRefusals>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ScheduleManager>>()));
        services.AddSingleton<ScheduleControl>();
        services.AddSingleton<NamedScheduleStore>();
        services.AddSingleton<NamedScheduleControl>();
        services.AddSingleton<RunClaims>();
        services.AddSingleton<RunLeases>();
        services.AddSingleton<FailurePolicy>();
        services.AddSingleton<RunOutcomes>();
        services.AddSingleton<RunTelemetry>();
        services.AddSingleton<RunDeadlines>();
        services.AddSingleton<ExecutionLogFlusher>();
        // Outcome writes wake the notification dispatcher (AddNotifications) when they queue deliveries.
        services.AddSingleton<Notifications.NotificationWake>();
        services.AddDownstreamClients(endpoints);
        services.AddSingleton(new DownstreamEndpoints(endpoints));
        services.AddSingleton<HttpCallTypeStore>();
        services.AddSingleton<HttpCallTypeControl>();
        services.AddSingleton<DeadLetterControl>();
        // Read by every node's heartbeat, so through the background pool.
        services.AddKeyedSingleton(SchedulerDataSources.Background,
            (sp, key) => new DlqDepthStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(key)));
        return services;
    }

    /// <summary>The catalog <see cref="AddJobs"/> registered, for registrations that need it before the container is built.</summary>
    public static JobCatalog GetJobCatalog(this IServiceCollection services) =>
        services.Single(d => d.ServiceType == typeof(JobCatalog)).ImplementationInstance as JobCatalog
        ?? throw new InvalidOperationException("AddJobs must be called first");

    /// <summary>Registers every catalog job with Quartz as a durable job, and the recording middleware around them all.</summary>
    public static IQuartzBuilder AddCatalogJobs(this IQuartzBuilder quartz, JobCatalog catalog)
    {
        foreach (var definition in catalog.All)
        {
            quartz.AddJob(definition.JobClass, job => job
                .WithIdentity(definition.JobKey)
                .StoreDurably()
                .RequestRecovery(definition.Recoverable)
                .WithDescription(definition.Description));
        }

        quartz.AddJobMiddleware<ExecutionRecordingMiddleware>();
        quartz.AddJobListener<ExecutionProgress>();
        return quartz;
    }
}
