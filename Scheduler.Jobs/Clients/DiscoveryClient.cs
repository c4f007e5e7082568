using System.Net.Http.Json;
using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The discovery service.</summary>
public sealed class DiscoveryClient(HttpClient http)
{
    public const string ServiceName = "discovery";

    /// <summary><c>GET /api/discoveries?crawlStatus=pending&amp;limit=N</c></summary>
    public async Task<DiscoveryList> GetPendingAsync(int limit, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/discoveries?crawlStatus=pending&limit={limit}", cancellationToken);
        DownstreamServiceException.ThrowIfFailed(response, ServiceName);
        return await response.Content.ReadFromJsonAsync<DiscoveryList>(cancellationToken)
            ?? new DiscoveryList([]);
    }
}
