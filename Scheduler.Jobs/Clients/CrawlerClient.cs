using System.Net.Http.Json;
using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The crawler service.</summary>
public sealed class CrawlerClient(HttpClient http)
{
    public const string ServiceName = "crawler";

    /// <summary><c>POST /api/crawl/batch</c></summary>
    public async Task<CrawlBatchResponse> CrawlBatchAsync(CrawlBatchRequest batch, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/crawl/batch", batch, cancellationToken);
        DownstreamServiceException.ThrowIfFailed(response, ServiceName);
        return await response.Content.ReadFromJsonAsync<CrawlBatchResponse>(cancellationToken)
            ?? throw new InvalidOperationException("crawler service answered POST /api/crawl/batch with an empty body");
    }
}
