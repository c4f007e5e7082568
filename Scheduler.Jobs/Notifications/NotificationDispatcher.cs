using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Notifications;

/// <summary>
/// Sends the outbox, on every node, outside every run: at start-up makes configuration's notifications the stored
/// ones; then claims due deliveries (woken at once by an outcome this node wrote, else every
/// <see cref="NotificationOptions.PollInterval"/> or when a retry it scheduled is due), sends each, and records the
/// attempt: delivered on a 2xx, else due again after an exponential backoff, failed after the last attempt. A
/// receiver that is down or slow costs this loop an attempt's timeout, and never touches a run.
/// </summary>
public sealed partial class NotificationDispatcher(
    DeliveryStore deliveries,
    NotificationStore subscriptions,
    IReadOnlyList<ConfiguredNotification> configured,
    ExecutionHistory executions,
    NotificationClient client,
    NotificationWake wake,
    TimeProvider time,
    IOptions<NotificationOptions> options,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Added to the wait for a retry this node scheduled: a timer may fire a millisecond early and the database keeps
    /// microseconds, and a read a hair before the due time finds nothing, leaving the retry to the next poll.
    /// </summary>
    private static readonly TimeSpan DueSlack = TimeSpan.FromMilliseconds(20);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var shadowed in await subscriptions.SyncConfiguredAsync(configured, time.GetUtcNow(), cancellationToken))
        {
            LogShadowed(shadowed.Key);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            wake.Rearm();
            var wait = settings.PollInterval;
            try
            {
                if (await SendDueAsync(settings, stoppingToken) is { } soonest)
                {
                    wait = TimeSpan.FromTicks(Math.Clamp((soonest - time.GetUtcNow() + DueSlack).Ticks, 0, wait.Ticks));
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(ex);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait, time, timeout.Token);
            await Task.WhenAny(wake.Signalled, delay);
            await timeout.CancelAsync();
        }
    }

    /// <summary>Sends every due delivery, a batch at a time; when the next retry this node scheduled is due, if any.</summary>
    private async Task<DateTimeOffset?> SendDueAsync(NotificationOptions settings, CancellationToken cancellationToken)
    {
        DateTimeOffset? soonest = null;
        while (true)
        {
            var now = time.GetUtcNow();
            var claimed = await deliveries.ClaimAsync(settings.BatchSize, now, now + settings.ClaimFor, cancellationToken);
            var next = await Task.WhenAll(claimed.Select(d => AttemptAsync(d, settings, cancellationToken)));
            foreach (var at in next)
            {
                soonest = at is { } due && (soonest is null || due < soonest) ? due : soonest;
            }

            if (claimed.Count < settings.BatchSize)
            {
                return soonest;
            }
        }
    }

    /// <summary>One attempt of <paramref name="delivery"/>, recorded; when it is due again, if it is.</summary>
    private async Task<DateTimeOffset?> AttemptAsync(ClaimedDelivery delivery, NotificationOptions settings, CancellationToken cancellationToken)
    {
        try
        {
            if (!delivery.Enabled)
            {
                return await GiveUpAsync(delivery, null, "the notification was disabled before this was sent", cancellationToken);
            }

            if (!Uri.TryCreate(delivery.Url, UriKind.Absolute, out var url) || !NotificationRules.HostAllowed(url.Host, settings.AllowedHosts))
            {
                return await GiveUpAsync(delivery, null, "the URL's host is not in Notifications:AllowedHosts", cancellationToken);
            }

            string? payload = null;
            if (delivery.Kind == NotificationKinds.Webhook)
            {
                payload = delivery.Payload;
                if (payload is null)
                {
                    if (await executions.GetAsync(delivery.ExecutionId, cancellationToken) is not { } execution)
                    {
                        return await GiveUpAsync(delivery, null, "the execution is no longer stored", cancellationToken);
                    }

                    // The body every attempt sends is fixed at the first one.
                    payload = await deliveries.FixPayloadAsync(delivery.Id, delivery.Attempt,
                        JsonSerializer.Serialize(new WebhookPayload(delivery.Id, delivery.Event, delivery.NotificationId, execution), Json), cancellationToken);
                }

                if (payload is null)
                {
                    // The claim was taken over meanwhile: the attempt is the other node's.
                    return null;
                }
            }

            int? status = null;
            string? error;
            try
            {
                status = await client.SendAsync(delivery, payload, time.GetUtcNow(), cancellationToken);
                error = status is >= 200 and < 300 ? null : $"the receiver answered {status}";
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException)
            {
                error = ex is TaskCanceledException
                    ? $"no answer within {settings.Timeout.TotalSeconds:0.###} s (Notifications:Timeout)"
                    : $"could not be sent: {ex.Message}";
            }

            var now = time.GetUtcNow();
            if (error is null)
            {
                await deliveries.RecordAsync(delivery.Id, delivery.Attempt, DeliveryStatuses.Delivered, null, status, null, now, CancellationToken.None);
                LogDelivered(delivery.Id, delivery.JobType, delivery.Event, delivery.Attempt);
                return null;
            }

            if (delivery.Attempt >= settings.MaxAttempts)
            {
                LogGaveUp(delivery.Id, delivery.JobType, delivery.Attempt, error);
                return await GiveUpAsync(delivery, status, error, CancellationToken.None);
            }

            var due = now + settings.DelayAfter(delivery.Attempt);
            await deliveries.RecordAsync(delivery.Id, delivery.Attempt, DeliveryStatuses.Pending, due, status, error, null, CancellationToken.None);
            LogAttemptFailed(delivery.Id, delivery.JobType, delivery.Attempt, error, due);
            return due;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The claim runs out and the attempt is made again, here or on another node.
            LogAttemptNotRecorded(ex, delivery.Id);
            return null;
        }
    }

    private async Task<DateTimeOffset?> GiveUpAsync(ClaimedDelivery delivery, int? status, string error, CancellationToken cancellationToken)
    {
        await deliveries.RecordAsync(delivery.Id, delivery.Attempt, DeliveryStatuses.Failed, null, status, error, null, cancellationToken);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Key} is in configuration, but a notification created through the API has its name; the API's is kept. Rename one of them")]
    private partial void LogShadowed(string key);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not read or send the notification outbox; trying again")]
    private partial void LogPassFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {DeliveryId} for {JobType} ({Event}) delivered at attempt {Attempt}")]
    private partial void LogDelivered(Guid deliveryId, string jobType, string @event, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {DeliveryId} for {JobType}: attempt {Attempt} failed ({Error}); next attempt at {NextAttemptAt:o}")]
    private partial void LogAttemptFailed(Guid deliveryId, string jobType, int attempt, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery {DeliveryId} for {JobType} failed after {Attempts} attempts ({Error}); no more attempts")]
    private partial void LogGaveUp(Guid deliveryId, string jobType, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery {DeliveryId}: its attempt could not be recorded; it is made again once its claim runs out")]
    private partial void LogAttemptNotRecorded(Exception exception, Guid deliveryId);
}
