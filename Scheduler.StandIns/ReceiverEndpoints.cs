namespace Scheduler.StandIns;

/// <summary>
/// A webhook receiver and a heartbeat monitor under <c>/hooks/{name}</c>: answers 200 to POST and GET, so that
/// notifications have somewhere to go locally. What arrives is in <c>/_standin/requests</c>; faults apply as anywhere.
/// </summary>
internal static class ReceiverEndpoints
{
    public static void MapReceiverEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/hooks/{name}", (string name) => Results.Ok(new { received = name }));
        app.MapGet("/hooks/{name}", (string name) => Results.Ok(new { received = name }));
    }
}
