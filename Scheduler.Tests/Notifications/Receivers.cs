using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Notifications;

/// <summary>What the notification tests share: the stand-ins' <c>/hooks/{name}</c> receivers, and reading what reached them.</summary>
internal static class Receivers
{
    public const string Secret = "a-test-secret-of-32-characters!!";

    public static IReadOnlyList<ReceivedRequest> At(StandInApp standIns, string hook) =>
        [.. standIns.State.Requests.Where(r => r.Path == $"/hooks/{hook}")];

    /// <summary>The HMAC-SHA256 of the body as received, computed here independently, in the header's form.</summary>
    public static string ExpectedSignature(ReceivedRequest request)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        return "sha256=" + Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes(request.Body)));
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static WebhookPayload Payload(ReceivedRequest request) => JsonSerializer.Deserialize<WebhookPayload>(request.Body, Json)!;

    /// <summary>Creates a webhook through the API, signed with <see cref="Secret"/>, to the stand-ins' <c>/hooks/{name}</c>.</summary>
    public static Task<NotificationView> CreateWebhookAsync(ServiceHost service, StandInApp standIns, string jobType, string name, params string[] events) =>
        CreateAsync(service, new { jobType, name, kind = "webhook", url = $"{standIns.BaseUrl}/hooks/{name}", events, secret = Secret });

    public static async Task<NotificationView> CreateAsync(ServiceHost service, object request)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/notifications", request);
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<NotificationView>())!;
    }

    public static async Task<IReadOnlyList<NotificationDelivery>> DeliveriesAsync(ServiceHost service, Guid notification) =>
        (await service.Client.GetFromJsonAsync<List<NotificationDelivery>>($"/api/notifications/{notification}/deliveries"))!;

    /// <summary>
    /// The deliveries of <paramref name="notification"/> for <paramref name="executions"/>, once there are
    /// <paramref name="count"/> and none is pending (delivered, or failed after its last attempt).
    /// </summary>
    public static async Task<IReadOnlyList<NotificationDelivery>> SettledAsync(ServiceHost service, Guid notification, int count, params Guid[] executions)
    {
        try
        {
            return await Eventually.Until(
                async () => (await DeliveriesAsync(service, notification)).Where(d => executions.Contains(d.ExecutionId)).ToList(),
                d => d.Count == count && d.All(x => x.Status != "pending"),
                TimeSpan.FromSeconds(60), $"{count} settled deliveries of notification {notification}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; deliveries now: {JsonSerializer.Serialize(await DeliveriesAsync(service, notification), Json)}", ex);
        }
    }
}
