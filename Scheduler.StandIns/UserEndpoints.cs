using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The user service: digest recipients, identity lookup, interaction cleanup.</summary>
internal static class UserEndpoints
{
    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/users", (string? active, string? weeklyDigest, int? page, int? limit, StandInState s) =>
            active != "true" || weeklyDigest != "true" || page < 1 || limit < 1
                ? Results.BadRequest()
                : Results.Ok(s.DigestRecipients(page ?? 1, limit ?? 100)));
        app.MapGet("/api/users/{externalId}", (string externalId, StandInState s) =>
            s.FindExternalUser(externalId) is { } user ? Results.Ok(user) : Results.NotFound());
        app.MapPost("/api/interactions/cleanup", (InteractionCleanupRequest _, StandInState s) =>
            new InteractionCleanupResult(s.InteractionsDeleted));
    }
}
