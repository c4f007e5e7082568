using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The discovery service.</summary>
public sealed class DiscoveryClient(HttpClient http)
{
    /// <summary><c>GET /api/discoveries?crawlStatus=pending&amp;limit=N</c></summary>
    public Task<DiscoveryList> GetPendingAsync(int limit, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<DiscoveryList>(http, ServiceNames.Discovery,
            DownstreamCall.Request(HttpMethod.Get, $"/api/discoveries?crawlStatus=pending&limit={limit}"), cancellationToken);

    /// <summary><c>GET /api/recommendations?userId=…&amp;limit=N</c></summary>
    public Task<RecommendationList> GetRecommendationsAsync(string userId, int limit, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<RecommendationList>(http, ServiceNames.Discovery,
            DownstreamCall.Request(HttpMethod.Get, $"/api/recommendations?userId={Uri.EscapeDataString(userId)}&limit={limit}"), cancellationToken);

    /// <summary><c>POST /api/discoveries/view-counts/refresh</c></summary>
    public Task<DiscoveryMaintenanceResult> RefreshViewCountsAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<DiscoveryMaintenanceResult>(http, ServiceNames.Discovery,
            DownstreamCall.Request(HttpMethod.Post, "/api/discoveries/view-counts/refresh", idempotencyKey), cancellationToken);

    /// <summary><c>POST /api/discoveries/trending/recalculate</c></summary>
    public Task<DiscoveryMaintenanceResult> RecalculateTrendingAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<DiscoveryMaintenanceResult>(http, ServiceNames.Discovery,
            DownstreamCall.Request(HttpMethod.Post, "/api/discoveries/trending/recalculate", idempotencyKey), cancellationToken);
}
