using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Crawling;

/// <summary>Settings of <c>crawl_pending</c>, from <c>Jobs:crawl_pending</c> (<see cref="CrawlPendingType"/>).</summary>
public sealed class CrawlPendingOptions
{
    /// <summary>How many pending discoveries to ask for and send to the crawler at once.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>At most this many batches per run; what is left waits for the next run.</summary>
    [Range(1, 10_000)]
    public int MaxBatchesPerRun { get; set; } = 50;
}
