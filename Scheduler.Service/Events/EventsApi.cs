using System.Globalization;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Execution;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Events;

/// <summary>
/// <c>GET /api/jobs/events</c>: Server-Sent Events of executions (created, started, progressed, finished) and
/// schedules (paused, resumed, changed, reset) across the cluster. A reconnect with <c>Last-Event-ID</c> first
/// replays what the client missed (kept for an hour), then goes live.
/// </summary>
public static class EventsApi
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/jobs/events", StreamAsync)
            .RequireAuthorization(Caller.ReaderPolicy)
            .WithTags("Jobs")
            .WithName("StreamEvents")
            .WithSummary("Server-Sent Events: execution created/started/progressed/finished, schedule paused/resumed/changed/reset; resumes after Last-Event-ID.");
        return app;
    }

    public static async Task StreamAsync(HttpContext http, EventRelay relay, SchedulerEventStore store, ExecutionStore executions, CancellationToken cancellationToken)
    {
        var response = http.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        // Subscribe before replaying, so nothing falls between the two; the id check drops what both deliver.
        using var subscription = relay.Subscribe();
        var last = LastEventId(http.Request);
        if (last is { } after)
        {
            foreach (var missed in await store.AfterAsync(after, 5000, cancellationToken))
            {
                await WriteAsync(response, missed, executions, cancellationToken);
                last = missed.Id;
            }
        }

        await response.WriteAsync(": live\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(KeepAlive);
                try
                {
                    var next = await subscription.Events.ReadAsync(wait.Token);
                    if (last is null || next.Id > last)
                    {
                        await WriteAsync(response, next, executions, cancellationToken);
                        last = next.Id;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the node is shutting down.
        }
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

    /// <summary>
    /// Writes one event. An execution event carries the execution as <c>GET /api/jobs/{id}</c> answers it now (one
    /// read per event and client: live views are few), so a client need not ask again.
    /// </summary>
    private static async Task WriteAsync(HttpResponse response, SchedulerEvent e, ExecutionStore executions, CancellationToken cancellationToken)
    {
        var execution = e.ExecutionId is { } id ? await executions.GetAsync(id, cancellationToken) : null;
        await response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"id: {e.Id}\nevent: {e.Topic}\ndata: {e.Data(execution)}\n\n"), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
