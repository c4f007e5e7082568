using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// Makes the one call an HTTP-call job type is configured with, on the client of the service it names
/// (with that service's resilience, and for the core API its Basic credentials).
/// </summary>
public sealed class HttpCallClient(IServiceProvider services)
{
    /// <summary>Calls <paramref name="method"/> <paramref name="path"/> on <paramref name="service"/>, with <paramref name="body"/> if any; the JSON answer, if any.</summary>
    public Task<JsonElement?> CallAsync(string service, string method, string path, string idempotencyKey, CancellationToken cancellationToken, JsonElement? body = null)
    {
        return service == ServiceNames.CoreApi
            ? services.GetRequiredService<CoreApiClient>().CallAdminAsync(method, path, idempotencyKey, cancellationToken, body)
            : CallAsync(services.GetRequiredService<IHttpClientFactory>().CreateClient(service), service, new HttpMethod(method), path, idempotencyKey, body, cancellationToken);
    }

    internal static async Task<JsonElement?> CallAsync(
        HttpClient http, string service, HttpMethod method, string path, string idempotencyKey, JsonElement? body, CancellationToken cancellationToken)
    {
        using var request = DownstreamCall.Request(method, path, idempotencyKey, body);
        using var response = await http.SendAsync(request, cancellationToken);
        DownstreamServiceException.ThrowIfFailed(response, service);
        if (response.Content.Headers.ContentType?.MediaType is not { } type || !type.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
