using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The crawler service.</summary>
internal static class CrawlerEndpoints
{
    public static void MapCrawlerEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/crawl/batch", (CrawlBatchRequest batch, StandInState s) => Results.Ok(s.Crawl(batch)));
}
