using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Scheduler.Contracts.Api;

namespace Scheduler.Jobs.Notifications;

/// <summary>
/// Sends one attempt of a delivery: a webhook is POSTed, signed; a heartbeat is a plain GET. The typed client has a
/// timeout and follows no redirects (a receiver cannot bounce a call to a host that was not checked), and no
/// retries of its own: each attempt is one call, recorded in the delivery log, and retried from there.
/// </summary>
public sealed class NotificationClient(HttpClient http)
{
    public const string SignatureHeader = "X-Scheduler-Signature";
    public const string TimestampHeader = "X-Scheduler-Timestamp";
    public const string DeliveryHeader = "X-Scheduler-Delivery";
    public const string EventHeader = "X-Scheduler-Event";

    /// <summary>Makes the call; the answer's status code, or the exception when there was none (a timeout included).</summary>
    public async Task<int> SendAsync(ClaimedDelivery delivery, string? payload, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        using var request = new HttpRequestMessage(delivery.Kind == NotificationKinds.Heartbeat ? HttpMethod.Get : HttpMethod.Post, delivery.Url);
        if (delivery.Kind == NotificationKinds.Webhook)
        {
            var body = Encoding.UTF8.GetBytes(payload ?? throw new InvalidOperationException("a webhook is sent with its payload"));
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add(SignatureHeader, Sign(delivery.Secret ?? "", body));
            request.Headers.Add(TimestampHeader, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(DeliveryHeader, delivery.Id.ToString());
            request.Headers.Add(EventHeader, delivery.Event);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return (int)response.StatusCode;
    }

    /// <summary>The signature header's value: <c>sha256=</c> and the lowercase hex HMAC-SHA256 of <paramref name="body"/> under <paramref name="secret"/>.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
