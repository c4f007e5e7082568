using System.Net.Http.Headers;
using System.Text;

namespace Scheduler.StandIns;

/// <summary>The core API's admin endpoints: any <c>POST /v1/admin/…</c>, behind HTTP Basic.</summary>
internal static class CoreApiEndpoints
{
    public static void MapCoreApiEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/admin/{**rest}", (HttpContext context, StandInState s) =>
        {
            if (Credentials(context.Request) is not { } credentials || !s.IsAdmin(credentials.Username, credentials.Password))
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"admin\"";
                return Results.Unauthorized();
            }

            return Results.Ok(new AdminResult(s.AdminProcessed(context.Request.Path.Value ?? "")));
        });

    private static (string Username, string Password)? Credentials(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is not { } encoded)
        {
            return null;
        }

        var bytes = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, bytes, out var length))
        {
            return null;
        }

        var decoded = Encoding.UTF8.GetString(bytes, 0, length);
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
    }

    private sealed record AdminResult(int Processed);
}
