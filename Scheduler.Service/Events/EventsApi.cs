using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Events;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Events;

/// <summary>
/// <c>GET /api/jobs/events</c>: Server-Sent Events of executions (created, started, progressed, finished) and
/// schedules (paused, resumed, changed, reset) and job types defined through the API across the cluster. A reconnect with <c>Last-Event-ID</c> first
/// replays what the client missed (kept for an hour), then goes live. Streams are capped per node and per caller
/// (<see cref="EventStreamLimits"/>) and end when the caller's token expires.
/// </summary>
public static partial class EventsApi
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Events (with their executions) per replay query.</summary>
    private const int ReplayBatch = 200;

    private static readonly byte[] LiveComment = ": live\n\n"u8.ToArray();
    private static readonly byte[] KeepAliveComment = ": keep-alive\n\n"u8.ToArray();

    public static WebApplicationBuilder AddEventsApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<EventsOptions>(builder.Configuration, EventsOptions.Section);
        builder.Services.AddSingleton<EventStreamLimits>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/jobs/events", Stream)
            .RequireAuthorization(Caller.ReaderPolicy)
            .AddEndpointFilter(AdmitAsync)
            .WithTags("Jobs")
            .WithName("StreamEvents")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Server-Sent Events: execution created/started/progressed/finished, schedule paused/resumed/changed/reset, job_type defined/changed/deleted/disabled/enabled; resumes after Last-Event-ID.");
        return app;
    }

    /// <summary>
    /// A stream starts only with a token that has not expired and a place under the caps; the place is held until
    /// the response ends, which is when the stream does.
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

        var admission = http.RequestServices.GetRequiredService<EventStreamLimits>().Admit(http);
        if (admission.Refusal is { } refusal)
        {
            admission.Dispose();
            return refusal;
        }

        http.Response.RegisterForDispose(admission);
        return await next(context);
    }

    public static ServerSentEventsResult<string> Stream(
        HttpContext http, [AsParameters] ResumePoint resume, [AsParameters] EventStreamServices services, CancellationToken cancellationToken)
    {
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(EndQuietly(Events(http, resume.After, services, cancellationToken), services.Loggers));
    }

    /// <summary>What the client missed after <paramref name="after"/>, then live events until the client leaves or its token expires.</summary>
    private static async IAsyncEnumerable<SseItem<string>> Events(
        HttpContext http, long? after, EventStreamServices services, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (relay, store, time, lifetime, _) = services;
        var body = http.Response.Body;
        using var tokenExpires = Expiry(http) is { } expires
            ? new CancellationTokenSource(expires > time.GetUtcNow() ? expires - time.GetUtcNow() : TimeSpan.Zero, time)
            : new CancellationTokenSource();
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tokenExpires.Token);
        var stop = streaming.Token;

        // A client that leaves does not cancel a read in flight: Npgsql would open a new connection to PostgreSQL to
        // send each cancel request, so a crowd dropping at once would multiply the node's connections. The read
        // finishes (one batch), and the next write notices the client has gone.
        var reading = lifetime.ApplicationStopping;

        // Subscribe before replaying, so nothing falls between the two; the cursor drops what both deliver. The live
        // feed starts no later than this stream did (the relay reads only while someone listens).
        using var subscription = relay.Subscribe(await store.HorizonAsync(reading));

        // The client knows at once that it has a stream, before any replay.
        await body.FlushAsync(stop);
        var cursor = after is { } last ? await store.ResumeAfterAsync(last, reading) : null;
        if (cursor is not null)
        {
            EventPage page;
            do
            {
                page = await store.ReadAsync(cursor, ReplayBatch, reading);
                foreach (var missed in page.Events)
                {
                    yield return Item(missed);
                    cursor = cursor.Past(missed);
                }
            }
            while (page.Events.Count == ReplayBatch);
        }

        await body.WriteAsync(LiveComment, stop);
        while (!stop.IsCancellationRequested)
        {
            // Between items the formatter holds nothing, so a comment written here goes out whole.
            if (await NextOrQuietAsync(subscription, time, stop) is not { } next)
            {
                await body.WriteAsync(KeepAliveComment, stop);
            }
            else if (cursor is null || cursor.Admits(next.Event))
            {
                yield return next.Item;
                cursor = (cursor ?? new EventCursor(EventPosition.Start)).Past(next.Event);
            }
        }
    }

    /// <summary>The next live event, or null after <see cref="KeepAlive"/> without one.</summary>
    private static async Task<EventFrame?> NextOrQuietAsync(Subscription subscription, TimeProvider time, CancellationToken stop)
    {
        using var quiet = new CancellationTokenSource(KeepAlive, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop, quiet.Token);
        try
        {
            return await subscription.Events.ReadAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Ends the stream, rather than failing the response, when it cannot go on; the client resumes from its Last-Event-ID.</summary>
    private static async IAsyncEnumerable<SseItem<string>> EndQuietly(IAsyncEnumerable<SseItem<string>> items, ILoggerFactory loggers)
    {
        await using var enumerator = items.GetAsyncEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync();
            }
            catch (OperationCanceledException)
            {
                // The client went away, its token expired, or the node is shutting down.
                more = false;
            }
            catch (ChannelClosedException)
            {
                // Too far behind the live events.
                more = false;
            }
            catch (NpgsqlException ex)
            {
                LogReplayFailed(loggers.CreateLogger(typeof(EventsApi).FullName!), ex);
                more = false;
            }

            if (!more)
            {
                yield break;
            }

            yield return enumerator.Current;
        }
    }

    /// <summary>One event as Server-Sent Events: its id, type and data.</summary>
    public static SseItem<string> Item(SchedulerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new SseItem<string>(e.Data(), e.Topic) { EventId = e.Id.ToString(CultureInfo.InvariantCulture) };
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read events for a stream; it ends and the client resumes from its Last-Event-ID")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);
}

/// <summary>Where a reconnecting client left off: the <c>Last-Event-ID</c> header, or <c>lastEventId</c> for clients that cannot set headers.</summary>
public sealed record ResumePoint(
    [FromHeader(Name = "Last-Event-ID")] string? Header,
    [FromQuery(Name = "lastEventId")] string? Query)
{
    /// <summary>The last event id the client has, or null for a fresh stream (an unreadable id is one).</summary>
    public long? After => long.TryParse(string.IsNullOrEmpty(Header) ? Query : Header, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}

/// <summary>What an event stream reads from.</summary>
public sealed record EventStreamServices(
    EventRelay Relay, SchedulerEventStore Store, TimeProvider Time, IHostApplicationLifetime Lifetime, ILoggerFactory Loggers);
