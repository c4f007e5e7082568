using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Scheduler.Contracts.Api;

/// <summary>The kinds of notification (<c>notification_subscriptions.kind</c>).</summary>
public static class NotificationKinds
{
    /// <summary>A signed POST of the execution to a URL, on the events chosen.</summary>
    public const string Webhook = "webhook";

    /// <summary>A GET of a URL after every successful run (an uptime monitor's heartbeat).</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>Both kinds.</summary>
    public static IReadOnlyList<string> All { get; } = [Webhook, Heartbeat];
}

/// <summary>What a notification fires on (<c>notification_deliveries.event</c>).</summary>
public static class NotificationEvents
{
    /// <summary>A run failed.</summary>
    public const string Failure = "failure";

    /// <summary>A run completed after one or more failed runs of its type (the first success after failures).</summary>
    public const string Recovery = "recovery";

    /// <summary>A run ended, whichever way (completed, failed or cancelled).</summary>
    public const string Completion = "completion";

    /// <summary>A run completed (heartbeat pings only; webhooks subscribe to the three above).</summary>
    public const string Success = "success";

    /// <summary>The events a webhook may subscribe to.</summary>
    public static IReadOnlyList<string> Subscribable { get; } = [Failure, Recovery, Completion];
}

/// <summary>Body of <c>POST /api/notifications</c> and <c>PUT /api/notifications/{id}</c>.</summary>
/// <param name="JobType">The job type whose runs notify (required to create; a replacement keeps its type).</param>
/// <param name="Name">Unique within the type: 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter.</param>
/// <param name="Kind"><c>webhook</c> or <c>heartbeat</c>.</param>
/// <param name="Url">Absolute http or https URL the notification is sent to.</param>
/// <param name="Events">Webhooks: one or more of <c>failure</c>, <c>recovery</c>, <c>completion</c>. Heartbeats: none (they fire on success).</param>
/// <param name="Secret">Webhooks: the HMAC-SHA256 key (16 to 256 characters). Never returned. On a replacement, omit it to keep the stored one.</param>
/// <param name="Enabled">False keeps the notification but sends nothing (default true).</param>
/// <param name="Description">What it is for.</param>
public sealed record NotificationRequest(
    [property: StringLength(64, ErrorMessage = "At most 64 characters."), NoNul] string? JobType = null,
    [property: StringLength(64, ErrorMessage = "At most 64 characters."), NoNul] string? Name = null,
    [property: NoNul] string? Kind = null,
    [property: StringLength(NotificationRequest.MaxUrlLength, ErrorMessage = "At most 2000 characters."), NoNul] string? Url = null,
    IReadOnlyList<string>? Events = null,
    [property: NoNul] string? Secret = null,
    bool? Enabled = null,
    [property: StringLength(500, ErrorMessage = "At most 500 characters."), NoNul] string? Description = null)
{
    /// <summary>The longest URL accepted.</summary>
    public const int MaxUrlLength = 2000;
}

/// <summary>One notification as <c>GET /api/notifications</c> shows it. The secret is never shown, only whether one is set.</summary>
public sealed record NotificationView
{
    /// <summary>The notification's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The job type whose runs notify.</summary>
    public required string JobType { get; init; }

    /// <summary>Its name, unique within the type.</summary>
    public required string Name { get; init; }

    /// <summary><c>webhook</c> or <c>heartbeat</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Where it is sent.</summary>
    public required string Url { get; init; }

    /// <summary>What a webhook fires on; empty for a heartbeat (it fires on success).</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Whether a signing secret is set.</summary>
    public required bool HasSecret { get; init; }

    /// <summary>False: kept, but nothing is sent.</summary>
    public required bool Enabled { get; init; }

    /// <summary>What it is for.</summary>
    public string? Description { get; init; }

    /// <summary><c>configuration</c> (read-only through the API; see <see cref="ConfigurationKey"/>) or <c>api</c>.</summary>
    public required string Source { get; init; }

    /// <summary>For a configuration-owned notification, the key that defines it, e.g. <c>Jobs:email_scan:Notifications:ops</c>.</summary>
    public string? ConfigurationKey { get; init; }

    /// <summary>Who created it (<c>configuration</c> for configuration-owned ones).</summary>
    public required string CreatedBy { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One delivery of a notification: what fired it, and how its attempts went (<c>GET /api/notifications/{id}/deliveries</c>).</summary>
public sealed record NotificationDelivery
{
    /// <summary>The delivery's id, the same in every attempt's body and <c>X-Scheduler-Delivery</c> header.</summary>
    public required Guid Id { get; init; }

    /// <summary>The notification.</summary>
    public required Guid NotificationId { get; init; }

    /// <summary>The execution whose outcome fired it.</summary>
    public required Guid ExecutionId { get; init; }

    /// <summary>The execution's job type.</summary>
    public required string JobType { get; init; }

    /// <summary><c>failure</c>, <c>recovery</c>, <c>completion</c> or (heartbeats) <c>success</c>.</summary>
    public required string Event { get; init; }

    /// <summary><c>pending</c> (more attempts to come), <c>delivered</c>, or <c>failed</c> (attempts used up).</summary>
    public required string Status { get; init; }

    /// <summary>Attempts made so far.</summary>
    public required int Attempts { get; init; }

    /// <summary>The HTTP status the last attempt was answered with; null when it got no answer.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>Why the last attempt failed, if it did.</summary>
    public string? LastError { get; init; }

    /// <summary>When the last attempt was made.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>While pending: when the next attempt is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>When a receiver accepted it (2xx).</summary>
    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>When the outcome that fired it was written.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// The body of a webhook: the same bytes in every attempt of one delivery, signed with HMAC-SHA256 (header
/// <c>X-Scheduler-Signature: sha256=&lt;hex&gt;</c>) over exactly those bytes.
/// </summary>
/// <param name="DeliveryId">The delivery's id (also <c>X-Scheduler-Delivery</c>): a receiver that has seen it may ignore a repeat.</param>
/// <param name="Event"><c>failure</c>, <c>recovery</c> or <c>completion</c>.</param>
/// <param name="NotificationId">The notification that fired.</param>
/// <param name="Execution">The execution as <c>GET /api/jobs/{id}</c> showed it when the delivery was first attempted.</param>
public sealed record WebhookPayload(
    Guid DeliveryId,
    string Event,
    Guid NotificationId,
    [property: JsonPropertyOrder(1)] JobExecution Execution);
