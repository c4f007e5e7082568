using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Crawling;

/// <summary>
/// <c>crawl_pending</c>: pending discoveries from the discovery service, sent to the crawler's batch
/// endpoint one batch at a time until none are pending or the per-run cap is reached. The result
/// counts what the crawler reports as crawled and failed, and the batches sent.
/// </summary>
public sealed class CrawlPendingJob(
    DiscoveryClient discovery,
    CrawlerClient crawler,
    IOptionsMonitor<CrawlPendingOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        var batchSize = CrawlPendingType.BatchSize.ValueIn(context, settings);
        var maxBatches = CrawlPendingType.MaxBatches.ValueIn(context, settings);
        var tally = new Tally();
        var sent = new HashSet<string>(StringComparer.Ordinal);
        string? stoppedBecause = null;

        while (true)
        {
            if (tally.Batches == maxBatches)
            {
                stoppedBecause = $"per-run cap of {maxBatches} batches reached; the rest waits for the next run";
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var pending = await discovery.GetPendingAsync(batchSize, cancellationToken);
            var batch = pending.Discoveries.Where(d => !sent.Contains(d.Id)).ToList();
            if (batch.Count == 0)
            {
                // Either nothing is pending, or the discovery service still lists only what this run already sent.
                stoppedBecause = pending.Discoveries.Count == 0 ? null : "the discovery service still lists only discoveries this run already sent";
                break;
            }

            var outcome = await crawler.CrawlBatchAsync(new CrawlBatchRequest(batch), context.IdempotencyKey($"batch-{tally.Batches + 1}"), cancellationToken);
            sent.UnionWith(batch.Select(d => d.Id));
            tally.Add(batch.Count, outcome);
            context.Result = tally.ToResult(stoppedBecause);
            // How many batches a run needs is not known up front; the per-run cap bounds it.
            context.ReportProgress(tally.Batches * 100 / maxBatches, $"{tally.Batches} batch(es) sent, {batch.Count} in the last");
        }

        context.Result = tally.Batches == 0 && stoppedBecause is null
            ? JobResults.NothingToDo("no pending discoveries")
            : tally.ToResult(stoppedBecause);
    }

    private sealed class Tally
    {
        private readonly List<string> _errors = [];

        public int Batches { get; private set; }

        private int _items;
        private int _successful;
        private int _failed;

        public void Add(int items, CrawlBatchResponse outcome)
        {
            Batches++;
            _items += items;
            _successful += outcome.Successful;
            _failed += outcome.Failed;
            _errors.AddRange(outcome.Results.Where(r => !r.Success).Select(r => $"{r.Id}: {r.Error ?? "crawl failed"}"));
        }

        public JobResult ToResult(string? stoppedBecause)
        {
            var details = new Dictionary<string, object?>
            {
                ["successfulCrawls"] = _successful,
                ["failedCrawls"] = _failed,
                ["batches"] = Batches,
            };
            if (stoppedBecause is not null)
            {
                details["note"] = stoppedBecause;
            }

            return new JobResult { Success = true, ItemsProcessed = _items, Errors = JobResults.Bounded(_errors), Details = details };
        }
    }
}
