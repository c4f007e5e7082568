using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The email service: an idempotent <c>POST /api/send</c>.</summary>
internal static class EmailEndpoints
{
    public static void MapEmailEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/send", (SendEmailRequest request, StandInState s) =>
            IsWellFormed(request) ? Results.Ok(s.Send(request)) : Results.BadRequest());

    private static bool IsWellFormed(SendEmailRequest request) =>
        request.Messages is { } messages
        && messages.All(m => m is not null && !string.IsNullOrEmpty(m.IdempotencyKey) && !string.IsNullOrEmpty(m.To));
}
