using System.Text;

namespace Scheduler.StandIns;

/// <summary>
/// The stand-in services on one Kestrel listener, plus a control API under <c>/_standin</c> for
/// people running <c>./run.sh</c>:
/// <list type="bullet">
/// <item>discovery service: <c>GET /api/discoveries</c>, <c>GET /api/recommendations</c>,
/// <c>POST /api/discoveries/view-counts/refresh</c>, <c>POST /api/discoveries/trending/recalculate</c>;</item>
/// <item>crawler: <c>POST /api/crawl/batch</c>;</item>
/// <item>user service: <c>GET /api/users</c>, <c>GET /api/users/{externalId}</c>, <c>POST /api/interactions/cleanup</c>;</item>
/// <item>email service: <c>POST /api/send</c>;</item>
/// <item>core API admin endpoints: <c>POST /v1/admin/…</c>, the dead letters (<c>GET /v1/admin/queue/dlq</c>, <c>POST /v1/admin/outbox/{id}/replay</c>,
/// <c>POST /v1/admin/export-dead-letter/{id}/replay</c>), behind HTTP Basic;</item>
/// <item>an OpenID Connect issuer's discovery document and keys under <c>/oidc</c>, and Entra ID's v2.0 ones under <c>/entra</c>.</item>
/// </list>
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
        state.SeedDigestRecipients(app.Configuration.GetValue("StandIns:DigestRecipients", 0));
        state.AdminUsername = app.Configuration["StandIns:AdminUsername"] ?? state.AdminUsername;
        state.AdminPassword = app.Configuration["StandIns:AdminPassword"] ?? state.AdminPassword;

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
                TimeProvider.System.GetUtcNow(),
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

        app.MapDiscoveryEndpoints();
        app.MapCrawlerEndpoints();
        app.MapUserEndpoints();
        app.MapEmailEndpoints();
        app.MapCoreApiEndpoints();
        app.MapOidcEndpoints();
        app.MapEntraEndpoints();
        app.MapReceiverEndpoints();
        app.MapControlEndpoints();

        await app.StartAsync();
        return new StandInApp(app, state);
    }

    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
