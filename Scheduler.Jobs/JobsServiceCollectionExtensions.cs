using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Crawling;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>The catalog, the typed clients, each job's options and the execution store.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        var catalog = JobCatalog.Default;
        services.AddSingleton(catalog);
        services.AddSingleton<ExecutionStore>();
        services.AddSingleton(RunnerIdentity.From(configuration));
        services.AddSingleton(TimeProvider.System);

        foreach (var definition in catalog.All)
        {
            var path = $"Jobs:{definition.Name}";
            ValidatedOptions.Bind<JobScheduleOptions>(configuration.GetSection(path), path);
            services.AddOptions<JobScheduleOptions>(definition.Name).Bind(configuration.GetSection(path));
        }

        services.AddValidatedOptions<CrawlPendingOptions>(configuration, CrawlPendingOptions.Section);

        var endpoints = services.AddValidatedOptions<ServiceEndpointsOptions>(configuration, ServiceEndpointsOptions.Section);
        // Data annotations do not recurse, so each endpoint is checked on its own.
        foreach (var name in new[] { nameof(ServiceEndpointsOptions.Crawler), nameof(ServiceEndpointsOptions.Discovery) })
        {
            var path = $"{ServiceEndpointsOptions.Section}:{name}";
            ValidatedOptions.Bind<ServiceEndpoint>(configuration.GetSection(path), path);
        }

        services.AddHttpClient<CrawlerClient>(http =>
        {
            http.BaseAddress = endpoints.Crawler.BaseAddress;
            http.Timeout = endpoints.Crawler.Timeout;
        });
        services.AddHttpClient<DiscoveryClient>(http =>
        {
            http.BaseAddress = endpoints.Discovery.BaseAddress;
            http.Timeout = endpoints.Discovery.Timeout;
        });

        return services;
    }

    /// <summary>Registers every catalog job with Quartz as a durable job, and the recording middleware around them all.</summary>
    public static IQuartzBuilder AddCatalogJobs(this IQuartzBuilder quartz, JobCatalog catalog)
    {
        foreach (var definition in catalog.All)
        {
            quartz.AddJob(definition.JobClass, job => job
                .WithIdentity(definition.JobKey)
                .StoreDurably()
                .WithDescription(definition.Description));
        }

        quartz.AddJobMiddleware<ExecutionRecordingMiddleware>();
        return quartz;
    }
}
