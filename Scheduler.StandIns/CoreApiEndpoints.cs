using System.Net.Http.Headers;
using System.Text;
using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>
/// The core API's admin endpoints, behind HTTP Basic: any <c>POST /v1/admin/…</c> (answering <c>{"processed": n}</c>),
/// the dead-letter listing <c>GET /v1/admin/queue/dlq?kind=&amp;limit=</c>, and the replay of one item,
/// <c>POST /v1/admin/outbox/{id}/replay</c> and <c>POST /v1/admin/export-dead-letter/{id}/replay</c>.
/// </summary>
internal static class CoreApiEndpoints
{
    public const int MaxDeadLetterLimit = 500;

    public static void MapCoreApiEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin").AddEndpointFilter(async (context, next) =>
        {
            var s = context.HttpContext.RequestServices.GetRequiredService<StandInState>();
            if (Credentials(context.HttpContext.Request) is not { } credentials || !s.IsAdmin(credentials.Username, credentials.Password))
            {
                context.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"admin\"";
                return Results.Unauthorized();
            }

            return await next(context);
        });

        admin.MapGet("/queue/dlq", (string? kind, string? limit, StandInState s) =>
        {
            kind ??= DeadLetterKinds.All;
            if (!DeadLetterKinds.Listable.Contains(kind))
            {
                return Results.BadRequest(new { error = $"kind must be one of {string.Join(", ", DeadLetterKinds.Listable)}" });
            }

            var n = 50;
            if (limit is not null && (!int.TryParse(limit, out n) || n < 1 || n > MaxDeadLetterLimit))
            {
                return Results.BadRequest(new { error = $"limit must be 1 to {MaxDeadLetterLimit}" });
            }

            return Results.Ok(s.ListDeadLetters(kind, n));
        });
        admin.MapPost("/outbox/{id}/replay", (string id, StandInState s) => Replay(DeadLetterKinds.Outbox, id, s));
        admin.MapPost("/export-dead-letter/{id}/replay", (string id, StandInState s) => Replay(DeadLetterKinds.Export, id, s));
        admin.MapPost("/{**rest}", (HttpContext context, StandInState s) => Results.Ok(new AdminResult(s.AdminProcessed(context.Request.Path.Value ?? ""))));
    }

    private static IResult Replay(string kind, string id, StandInState s) =>
        s.ReplayDeadLetter(kind, id)
            ? Results.Ok(new { replayed = true, kind, id })
            : Results.NotFound(new { error = $"no {kind} dead letter {id}" });

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
