using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Scheduler.Jobs.Configuration;

namespace Scheduler.Service.Auth;

/// <summary>
/// Cross-origin calls from the admin dashboard and other browser apps listed in <c>Cors:AllowedOrigins</c>. The API is
/// called with bearer tokens, never cookies, so credentials are not allowed: a page on an allowed origin can send its
/// own token and nothing the browser holds for this service.
/// </summary>
public static class BrowserCors
{
    /// <summary>How long a browser may reuse a preflight answer before asking again.</summary>
    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromMinutes(10);

    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete];

    private static readonly string[] RequestHeaders = [HeaderNames.Authorization, HeaderNames.ContentType, "Idempotency-Key", "Last-Event-ID"];

    private static readonly string[] ExposedHeaders = [HeaderNames.Location, HeaderNames.RetryAfter];

    public static WebApplicationBuilder AddBrowserCors(this WebApplicationBuilder builder)
    {
        var options = ValidatedOptions.Bind<BrowserCorsOptions>(builder.Configuration.GetSection(BrowserCorsOptions.Section), BrowserCorsOptions.Section);
        var origins = Check(builder.Configuration, builder.Environment, options);
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. origins]);
                if (origins.Any(o => o.Contains('*', StringComparison.Ordinal)))
                {
                    policy.SetIsOriginAllowedToAllowWildcardSubdomains();
                }
            }

            policy.WithMethods(Methods)
                .WithHeaders(RequestHeaders)
                .WithExposedHeaders(ExposedHeaders)
                .SetPreflightMaxAge(PreflightMaxAge)
                .DisallowCredentials();
        }));
        return builder;
    }

    /// <summary>Before authentication, so that a preflight (which carries no token) is answered and an error still carries the CORS headers.</summary>
    public static WebApplication UseBrowserCors(this WebApplication app)
    {
        app.UseCors();
        return app;
    }

    /// <summary>The origins, trimmed; every bad entry is reported at once, by its key.</summary>
    private static List<string> Check(ConfigurationManager configuration, IHostEnvironment environment, BrowserCorsOptions options)
    {
        var failures = new List<string>();
        if (configuration[BrowserCorsOptions.AllowedOriginsKey] is { Length: > 0 })
        {
            // Cors__AllowedOrigins=a,b binds to an empty list: every browser call would fail with no word why.
            failures.Add($"{BrowserCorsOptions.AllowedOriginsKey}: list one origin per key (Cors__AllowedOrigins__0, Cors__AllowedOrigins__1, …), not one value.");
        }

        var origins = new List<string>();
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            var key = $"{BrowserCorsOptions.AllowedOriginsKey}:{i}";
            var origin = options.AllowedOrigins[i].Trim();
            if (origin.Contains('*', StringComparison.Ordinal))
            {
                if (environment.IsProduction())
                {
                    failures.Add($"{key}: wildcards are refused in Production; list each origin the dashboard is served from.");
                }
                else if (origin != "*" && !IsOrigin(origin.Replace("://*.", "://wildcard.", StringComparison.Ordinal)))
                {
                    failures.Add($"{key}: a wildcard must be * or a subdomain wildcard such as https://*.example.com.");
                }
            }
            else if (!IsOrigin(origin))
            {
                failures.Add($"{key}: must be an origin as a browser sends it, scheme://host[:port], without a path or trailing slash.");
            }

            origins.Add(origin);
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(BrowserCorsOptions.Section, typeof(BrowserCorsOptions), failures);
        }

        return origins;
    }

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.UserInfo)
        && string.Equals(value, uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
}
