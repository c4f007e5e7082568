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

/// <summary>One piece of content recommended to a user.</summary>
/// <param name="Id">The discovery's id.</param>
/// <param name="Title">Its title, as shown in the digest.</param>
/// <param name="Url">Where it lives.</param>
public sealed record Recommendation(string Id, string Title, string Url);

/// <summary>Answer of the discovery service's <c>GET /api/recommendations?userId=…&amp;limit=N</c>.</summary>
/// <param name="Recommendations">Personalised content for the user, best first; empty when there is none.</param>
public sealed record RecommendationList(IReadOnlyList<Recommendation> Recommendations);

/// <summary>
/// Answer of the discovery service's maintenance calls, <c>POST /api/discoveries/view-counts/refresh</c>
/// and <c>POST /api/discoveries/trending/recalculate</c>.
/// </summary>
/// <param name="Updated">How many discoveries the call changed.</param>
public sealed record DiscoveryMaintenanceResult(int Updated);
