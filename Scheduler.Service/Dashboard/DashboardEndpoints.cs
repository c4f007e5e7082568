namespace Scheduler.Service.Dashboard;

/// <summary>
/// The operator dashboard at <c>/dashboard</c>: HTML, CSS and JavaScript modules embedded in this assembly and served
/// from memory (no CDN, no files beside the binary, works offline). Anonymous, because the page holds no data: every
/// API call it makes carries the operator's own bearer token, and the API checks it.
/// </summary>
public static class DashboardEndpoints
{
    public const string BasePath = "/dashboard";

    /// <summary>Everything from this origin only; no inline script or style, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

    private const string IndexFile = "index.html";

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var assets = DashboardAssets.Load(typeof(DashboardEndpoints).Assembly);
        var dashboard = app.MapGroup(BasePath).AllowAnonymous().ExcludeFromDescription();
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        dashboard.MapMethods("", methods, (HttpContext http) => Serve(http, assets, IndexFile)).WithName("Dashboard");
        dashboard.MapMethods("/{**path}", methods, (string? path, HttpContext http) => Serve(http, assets, string.IsNullOrEmpty(path) ? IndexFile : path))
            .WithName("DashboardAsset");
        return app;
    }

    private static IResult Serve(HttpContext http, DashboardAssets assets, string path)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (!assets.TryGet(path, out var asset))
        {
            return TypedResults.NotFound();
        }

        // Revalidated on every load (cheap: 304 by ETag), so a new version of the service is picked up at once.
        headers.CacheControl = "no-cache";
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }
}
