using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The crawler service.</summary>
public sealed class CrawlerClient(HttpClient http)
{
    /// <summary><c>POST /api/crawl/batch</c></summary>
    public Task<CrawlBatchResponse> CrawlBatchAsync(CrawlBatchRequest batch, string idempotencyKey, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<CrawlBatchResponse>(http, ServiceNames.Crawler,
            DownstreamCall.Request(HttpMethod.Post, "/api/crawl/batch", idempotencyKey, batch), cancellationToken);
}
