namespace Scheduler.Contracts.Downstream;

/// <summary>A discovery as the discovery service lists it (<c>GET /api/discoveries</c>).</summary>
/// <param name="Id">The discovery's id.</param>
/// <param name="Url">The URL to crawl.</param>
/// <param name="CrawlStatus">The discovery's crawl status, for example <c>pending</c>.</param>
public sealed record Discovery(string Id, string Url, string? CrawlStatus = null);

/// <summary>Answer of <c>GET /api/discoveries?crawlStatus=pending&amp;limit=N</c>.</summary>
/// <param name="Discoveries">The matching discoveries, at most <c>limit</c>.</param>
/// <param name="Total">How many match in all, when the service says.</param>
public sealed record DiscoveryList(IReadOnlyList<Discovery> Discoveries, int? Total = null);
