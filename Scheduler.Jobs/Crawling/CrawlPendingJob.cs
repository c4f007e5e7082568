using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Crawling;

/// <summary>
/// <c>crawl_pending</c>: pending discoveries from the discovery service, sent to the crawler's
/// batch endpoint; the result counts what the crawler reports as crawled and failed.
/// </summary>
[DisallowConcurrentExecution]
public sealed class CrawlPendingJob(
    DiscoveryClient discovery,
    CrawlerClient crawler,
    IOptionsMonitor<CrawlPendingOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var pending = await discovery.GetPendingAsync(options.CurrentValue.BatchSize, cancellationToken);
        if (pending.Discoveries.Count == 0)
        {
            context.Result = JobResults.NothingToDo("no pending discoveries");
            return;
        }

        var outcome = await crawler.CrawlBatchAsync(new CrawlBatchRequest(pending.Discoveries), cancellationToken);

        context.Result = new JobResult
        {
            Success = true,
            ItemsProcessed = pending.Discoveries.Count,
            Errors = JobResults.Bounded(outcome.Results.Where(r => !r.Success).Select(r => $"{r.Id}: {r.Error ?? "crawl failed"}")),
            Details = new Dictionary<string, object?>
            {
                ["successfulCrawls"] = outcome.Successful,
                ["failedCrawls"] = outcome.Failed,
                ["batches"] = 1,
            },
        };
    }
}
