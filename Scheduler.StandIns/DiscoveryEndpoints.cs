using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The discovery service: pending discoveries, recommendations, maintenance.</summary>
internal static class DiscoveryEndpoints
{
    public static void MapDiscoveryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/discoveries", (string? crawlStatus, int? limit, StandInState s) =>
            crawlStatus is null or "pending"
                ? Results.Ok(s.PendingDiscoveries(limit ?? 100))
                : Results.Ok(new DiscoveryList([], 0)));
        app.MapGet("/api/recommendations", (string? userId, int? limit, StandInState s) =>
            string.IsNullOrEmpty(userId) || limit < 0
                ? Results.BadRequest()
                : Results.Ok(s.Recommendations(userId, limit)));
        app.MapPost("/api/discoveries/view-counts/refresh", (StandInState s) =>
            new DiscoveryMaintenanceResult(s.ViewCountsUpdated));
        app.MapPost("/api/discoveries/trending/recalculate", (StandInState s) =>
            new DiscoveryMaintenanceResult(s.TrendingUpdated));
    }
}
