using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.Crawling;

/// <summary><c>crawl_pending</c> as the catalog lists it; settings in <see cref="CrawlPendingOptions"/>.</summary>
public static class CrawlPendingType
{
    public static JobParameter<CrawlPendingOptions> BatchSize { get; } =
        new("batchSize", "Discoveries sent to the crawler per batch.", o => o.BatchSize);

    public static JobParameter<CrawlPendingOptions> MaxBatches { get; } =
        new("maxBatches", "Batches at most in this run.", o => o.MaxBatchesPerRun);

    public static WorkflowType Definition { get; } = new WorkflowType<CrawlPendingJob, CrawlPendingOptions>
    {
        Name = JobTypes.CrawlPending,
        Description = "Sends pending discoveries to the crawler in batches until none are left or the per-run cap is reached.",
        Cron = "0 0/15 * * * ?",
        Timeout = TimeSpan.FromMinutes(30),
        Services = [ServiceNames.Discovery, ServiceNames.Crawler],
        Parameters = [BatchSize, MaxBatches],
    };
}
