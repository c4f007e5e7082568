using System.Net.Http.Json;

namespace Scheduler.Jobs.Clients;

/// <summary>What every typed client does around one call: the idempotency key, the status check, the body.</summary>
internal static class DownstreamCall
{
    public static HttpRequestMessage Request(HttpMethod method, string path, string? idempotencyKey = null, object? body = null)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (idempotencyKey is not null)
        {
            request.Headers.Add(DownstreamClients.IdempotencyKeyHeader, idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        return request;
    }

    public static async Task<T> SendAsync<T>(HttpClient http, string service, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, cancellationToken);
            DownstreamServiceException.ThrowIfFailed(response, service);
            try
            {
                return await response.Content.ReadFromJsonAsync<T>(cancellationToken)
                    ?? throw Unreadable(service, request, "an empty body");
            }
            catch (System.Text.Json.JsonException)
            {
                throw Unreadable(service, request, "a body that is not the expected JSON");
            }
        }
    }

    private static DownstreamServiceException Unreadable(string service, HttpRequestMessage request, string what) =>
        new(service, $"{ServiceNames.Display(service)} service answered {DownstreamServiceException.Describe(request)} with {what}");
}
