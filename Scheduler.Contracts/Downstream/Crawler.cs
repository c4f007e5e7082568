namespace Scheduler.Contracts.Downstream;

/// <summary>Body of the crawler's <c>POST /api/crawl/batch</c>.</summary>
/// <param name="Discoveries">The discoveries to crawl.</param>
public sealed record CrawlBatchRequest(IReadOnlyList<Discovery> Discoveries);

/// <summary>The crawler's outcome for one discovery.</summary>
/// <param name="Id">The discovery's id.</param>
/// <param name="Success">Whether the crawl succeeded.</param>
/// <param name="Error">Why it failed, if it did.</param>
public sealed record CrawlItemResult(string Id, bool Success, string? Error = null);

/// <summary>Answer of the crawler's <c>POST /api/crawl/batch</c>.</summary>
/// <param name="Successful">How many discoveries were crawled.</param>
/// <param name="Failed">How many failed.</param>
/// <param name="Results">One entry per discovery sent.</param>
public sealed record CrawlBatchResponse(int Successful, int Failed, IReadOnlyList<CrawlItemResult> Results);
