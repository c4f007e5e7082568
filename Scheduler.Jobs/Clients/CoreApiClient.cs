using System.Globalization;
using System.Text.Json;
using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The core API's admin endpoints (<c>/v1/admin/…</c>), called with Basic credentials (<c>ADMIN_BASIC_USERNAME</c>/<c>ADMIN_BASIC_PASSWORD</c>).</summary>
public sealed class CoreApiClient(HttpClient http)
{
    /// <summary><c>METHOD /v1/admin/…</c> with no body; the JSON answer, if any.</summary>
    public Task<JsonElement?> CallAdminAsync(string method, string path, string idempotencyKey, CancellationToken cancellationToken, JsonElement? body = null) =>
        HttpCallClient.CallAsync(http, ServiceNames.CoreApi, new HttpMethod(method), path, idempotencyKey, body, cancellationToken);

    /// <summary><c>GET /v1/admin/queue/dlq?kind=&amp;limit=</c>: the newest dead letters of <paramref name="kind"/> and every kind's total.</summary>
    public Task<DeadLetterListing> ListDeadLettersAsync(string kind, int limit, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<DeadLetterListing>(http, ServiceNames.CoreApi,
            DownstreamCall.Request(HttpMethod.Get, $"/v1/admin/queue/dlq?kind={Uri.EscapeDataString(kind)}&limit={limit.ToString(CultureInfo.InvariantCulture)}"),
            cancellationToken);

    /// <summary>
    /// Hands one dead letter back to its queue: <c>POST /v1/admin/outbox/{id}/replay</c> for an outbox item,
    /// <c>POST /v1/admin/export-dead-letter/{id}/replay</c> for an export. The core API's JSON answer, if any.
    /// </summary>
    public Task<JsonElement?> ReplayDeadLetterAsync(string kind, string id, string idempotencyKey, CancellationToken cancellationToken) =>
        CallAdminAsync("POST", ReplayPath(kind, id), idempotencyKey, cancellationToken);

    /// <summary>The replay call's path for an item of <paramref name="kind"/>.</summary>
    public static string ReplayPath(string kind, string id) => kind switch
    {
        DeadLetterKinds.Outbox => $"/v1/admin/outbox/{Uri.EscapeDataString(id)}/replay",
        DeadLetterKinds.Export => $"/v1/admin/export-dead-letter/{Uri.EscapeDataString(id)}/replay",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"one of {string.Join(", ", DeadLetterKinds.Each)}"),
    };
}
