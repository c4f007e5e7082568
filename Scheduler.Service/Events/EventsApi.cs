using System.Globalization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Authentication;
using Npgsql;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Events;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Events;

/// <summary>
/// <c>GET /api/jobs/events</c>: Server-Sent Events of executions (created, started, progressed, finished) and
/// schedules (paused, resumed, changed, reset) across the cluster. A reconnect with <c>Last-Event-ID</c> first
/// replays what the client missed (kept for an hour), then goes live. Streams are capped per node and per caller
/// (<see cref="EventStreamLimits"/>) and end when the caller's token expires.
/// </summary>
public static partial class EventsApi
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Events (with their executions) per replay query.</summary>
    private const int ReplayBatch = 200;

    public static WebApplicationBuilder AddEventsApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<EventsOptions>(builder.Configuration, EventsOptions.Section);
        builder.Services.AddSingleton<EventStreamLimits>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/jobs/events", StreamAsync)
            .RequireAuthorization(Caller.ReaderPolicy)
            .AddEndpointFilter(AdmitAsync)
            .WithTags("Jobs")
            .WithName("StreamEvents")
            .WithSummary("Server-Sent Events: execution created/started/progressed/finished, schedule paused/resumed/changed/reset; resumes after Last-Event-ID.");
        return app;
    }

    /// <summary>
    /// A stream starts only with a token that has not expired and a place under the caps; the place is held until
    /// the stream ends.
    /// </summary>
    private static async ValueTask<object?> AdmitAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (Expiry(http) is { } expires && expires <= http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow())
        {
            // Within the validation's clock skew the token still passes; a stream would end at once and be reopened.
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\", error_description=\"The token expired\"";
            return TypedResults.Problem(title: "The token expired", detail: "Event streams end when the token expires; get a new token.",
                statusCode: StatusCodes.Status401Unauthorized);
        }

        using var admission = http.RequestServices.GetRequiredService<EventStreamLimits>().Admit(http);
        return admission.Refusal ?? await next(context);
    }

    public static async Task StreamAsync(
        HttpContext http, EventRelay relay, SchedulerEventStore store, TimeProvider time, IHostApplicationLifetime lifetime,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var response = http.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        using var tokenExpires = Expiry(http) is { } expires
            ? new CancellationTokenSource(expires > time.GetUtcNow() ? expires - time.GetUtcNow() : TimeSpan.Zero, time)
            : new CancellationTokenSource();
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tokenExpires.Token);
        var stop = streaming.Token;

        // A client that leaves does not cancel a read in flight: Npgsql would open a new connection to PostgreSQL to
        // send each cancel request, so a crowd dropping at once would multiply the node's connections. The read
        // finishes (one batch), and the next write notices the client has gone.
        var reading = lifetime.ApplicationStopping;

        // Subscribe before replaying, so nothing falls between the two; the cursor drops what both deliver.
        using var subscription = relay.Subscribe();
        try
        {
            // The client knows at once that it has a stream, before any replay.
            await response.Body.FlushAsync(stop);
            var cursor = LastEventId(http.Request) is { } last ? await store.ResumeAfterAsync(last, reading) : null;
            if (cursor is not null)
            {
                EventPage page;
                do
                {
                    page = await store.ReadAsync(cursor, ReplayBatch, reading);
                    foreach (var missed in page.Events)
                    {
                        await response.WriteAsync(Frame(missed), stop);
                        cursor = cursor.Past(missed);
                    }

                    await response.Body.FlushAsync(stop);
                }
                while (page.Events.Count == ReplayBatch);
            }

            await response.WriteAsync(": live\n\n", stop);
            await response.Body.FlushAsync(stop);
            while (!stop.IsCancellationRequested)
            {
                using var quiet = new CancellationTokenSource(KeepAlive, time);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop, quiet.Token);
                try
                {
                    var next = await subscription.Events.ReadAsync(wait.Token);
                    if (cursor is null || cursor.Admits(next.Event))
                    {
                        await response.WriteAsync(next.Text, stop);
                        await response.Body.FlushAsync(stop);
                        cursor = (cursor ?? new EventCursor(EventPosition.Start)).Past(next.Event);
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", stop);
                    await response.Body.FlushAsync(stop);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away, its token expired, or the node is shutting down.
        }
        catch (ChannelClosedException)
        {
            // Too far behind the live events: ending lets the client resume from its Last-Event-ID.
        }
        catch (NpgsqlException ex)
        {
            // The client reconnects with its Last-Event-ID; nothing is lost.
            LogReplayFailed(loggers.CreateLogger(typeof(EventsApi).FullName!), ex);
        }
    }

    /// <summary>One event as Server-Sent Events: its id, type and data.</summary>
    public static string Frame(SchedulerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return string.Create(CultureInfo.InvariantCulture, $"id: {e.Id}\nevent: {e.Topic}\ndata: {e.Data()}\n\n");
    }

    /// <summary>When the caller's token expires: as authentication recorded it, else the token's <c>exp</c> claim.</summary>
    private static DateTimeOffset? Expiry(HttpContext http)
    {
        if (http.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.ExpiresUtc is { } expires)
        {
            return expires;
        }

        return long.TryParse(http.User.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }

    private static long? LastEventId(HttpRequest request)
    {
        var text = request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(text))
        {
            text = request.Query["lastEventId"].ToString();
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read events for a stream; it ends and the client resumes from its Last-Event-ID")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);
}
