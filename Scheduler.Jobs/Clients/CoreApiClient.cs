using System.Text.Json;

namespace Scheduler.Jobs.Clients;

/// <summary>The core API's admin endpoints (<c>/v1/admin/…</c>), called with Basic credentials (<c>ADMIN_BASIC_USERNAME</c>/<c>ADMIN_BASIC_PASSWORD</c>).</summary>
public sealed class CoreApiClient(HttpClient http)
{
    /// <summary><c>METHOD /v1/admin/…</c> with no body; the JSON answer, if any.</summary>
    public Task<JsonElement?> CallAdminAsync(string method, string path, string idempotencyKey, CancellationToken cancellationToken, JsonElement? body = null) =>
        HttpCallClient.CallAsync(http, ServiceNames.CoreApi, new HttpMethod(method), path, idempotencyKey, body, cancellationToken);
}
