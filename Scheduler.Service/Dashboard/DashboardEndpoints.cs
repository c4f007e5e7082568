using Microsoft.AspNetCore.Http.HttpResults;

namespace Scheduler.Service.Dashboard;

/// <summary>
/// The operator dashboard at <c>/dashboard</c>: HTML, CSS and JavaScript modules embedded in this assembly and served
/// from memory (no CDN, no files beside the binary, works offline). Anonymous, because the page holds no data: every
/// API call it makes carries the operator's own bearer token, and the API checks it. How the page gets that token
/// (redirect to the issuer, or a pasted development token) it reads from <c>/dashboard/config.json</c>.
/// </summary>
public static class DashboardEndpoints
{
    public const string BasePath = "/dashboard";

    /// <summary>Everything from this origin only; no inline script or style, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

    private const string IndexFile = "index.html";

    /// <summary>The page the issuer answers a silent renewal to, inside a frame of the dashboard itself.</summary>
    private const string SilentRenewFile = "silent-renew.html";

    /// <summary>Binds and checks <c>Dashboard</c> (see <see cref="DashboardSignIn"/>).</summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(DashboardSignIn.Resolve(builder));
        return builder;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var assets = DashboardAssets.Load(typeof(DashboardEndpoints).Assembly);
        var signIn = app.Services.GetRequiredService<DashboardSignIn>();
        var dashboard = app.MapGroup(BasePath).AllowAnonymous().ExcludeFromDescription();
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        dashboard.MapMethods("", methods, (HttpContext http) => Serve(http, assets, signIn, IndexFile)).WithName("Dashboard");
        dashboard.MapGet("/config.json", (HttpContext http) => Config(http, signIn)).WithName("DashboardConfig");
        dashboard.MapMethods("/{**path}", methods, (string? path, HttpContext http) => Serve(http, assets, signIn, string.IsNullOrEmpty(path) ? IndexFile : path))
            .WithName("DashboardAsset");
        return app;
    }

    /// <summary>How the page signs in: nothing secret (a public client id and where its issuer is).</summary>
    public sealed record SignInConfig(string SignIn, string? Authority, string? ClientId, string? Scopes, bool TokenPasteAllowed, int RenewBeforeExpirySeconds);

    private static Ok<SignInConfig> Config(HttpContext http, DashboardSignIn signIn)
    {
        http.Response.Headers.CacheControl = "no-cache";
        var mode = signIn.RedirectEnabled ? "redirect" : signIn.TokenPasteAllowed ? "token" : "unconfigured";
        return TypedResults.Ok(new SignInConfig(mode, signIn.Authority, signIn.ClientId, signIn.Scopes, signIn.TokenPasteAllowed,
            (int)signIn.RenewBeforeExpiry.TotalSeconds));
    }

    private static IResult Serve(HttpContext http, DashboardAssets assets, DashboardSignIn signIn, string path)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = signIn.ContentSecurityPolicy(framedBySelf: path == SilentRenewFile);
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
