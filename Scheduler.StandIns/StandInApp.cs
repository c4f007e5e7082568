using System.Text;
using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>
/// The stand-in services on one Kestrel listener: the discovery service's
/// <c>GET /api/discoveries</c> and the crawler's <c>POST /api/crawl/batch</c>, plus a control
/// API under <c>/_standin</c> for people running <c>./run.sh</c>.
/// </summary>
public sealed class StandInApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StandInApp(WebApplication app, StandInState state)
    {
        _app = app;
        State = state;
    }

    public StandInState State { get; }

    /// <summary>The base URL it listens on, e.g. <c>http://127.0.0.1:43127</c>.</summary>
    public string BaseUrl => _app.Urls.First();

    /// <summary>Starts the stand-ins on <paramref name="url"/> (port 0 picks a free port).</summary>
    public static async Task<StandInApp> StartAsync(string url = "http://127.0.0.1:0", string[]? args = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(url);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var state = new StandInState();
        builder.Services.AddSingleton(state);

        var app = builder.Build();
        state.SeedDiscoveries(
            app.Configuration.GetValue("StandIns:PendingDiscoveries", 0),
            app.Configuration.GetValue("StandIns:FailEvery", 0));

        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/_standin"))
            {
                await next(context);
                return;
            }

            context.Request.EnableBuffering();
            string body;
            using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true))
            {
                body = await reader.ReadToEndAsync(context.RequestAborted);
            }

            context.Request.Body.Position = 0;
            var received = new ReceivedRequest(
                DateTimeOffset.UtcNow,
                context.Request.Method,
                context.Request.Path.Value ?? "",
                context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body);
            state.Record(received);

            if (state.TakeFault(context.Request.Method, context.Request.Path.Value ?? "") is { } fault)
            {
                if (fault.DelayMs > 0)
                {
                    try
                    {
                        await Task.Delay(fault.DelayMs, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        received.Aborted = true;
                        return;
                    }
                }

                if (fault.Status is { } status)
                {
                    context.Response.StatusCode = status;
                    await context.Response.WriteAsync($"stand-in fault {status}");
                    return;
                }
            }

            await next(context);
            if (context.RequestAborted.IsCancellationRequested)
            {
                received.Aborted = true;
            }
        });

        app.MapGet("/api/discoveries", (string? crawlStatus, int? limit, StandInState s) =>
            crawlStatus is null or "pending"
                ? Results.Ok(s.PendingDiscoveries(limit ?? 100))
                : Results.Ok(new DiscoveryList([], 0)));
        app.MapPost("/api/crawl/batch", (CrawlBatchRequest batch, StandInState s) => Results.Ok(s.Crawl(batch)));

        var control = app.MapGroup("/_standin");
        control.MapGet("/requests", (StandInState s) => s.Requests);
        control.MapPost("/reset", (StandInState s) => s.Reset());
        control.MapPost("/discoveries", (SeedRequest seed, StandInState s) => s.SeedDiscoveries(seed.Count, seed.FailEvery));
        control.MapPost("/faults", (FaultRequest f, StandInState s) => s.SetFault(f.Method, f.Path, new Fault(f.Status, f.DelayMs, f.Times)));
        control.MapDelete("/faults", (string method, string path, StandInState s) => s.ClearFault(method, path));

        await app.StartAsync();
        return new StandInApp(app, state);
    }

    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record SeedRequest(int Count, int FailEvery = 0);

    private sealed record FaultRequest(string Method, string Path, int? Status = null, int DelayMs = 0, int? Times = null);
}
