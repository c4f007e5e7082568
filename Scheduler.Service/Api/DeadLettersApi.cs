using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Scheduler.Contracts.Api;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.DeadLetters;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary>
/// <c>/api/dlq</c>: the core API's dead letters, read and replayed through the scheduler so that its admin credentials
/// stay in the service. A core API that errs answers 502, one that cannot be reached 503, one too slow 504.
/// </summary>
public static class DeadLettersApi
{
    public static IEndpointRouteBuilder MapDeadLettersApi(this IEndpointRouteBuilder app)
    {
        var dlq = app.MapGroup("/api/dlq").WithTags("Dead letters").RequireAuthorization(Caller.ReaderPolicy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        dlq.MapGet("", List).WithName("ListDeadLetters")
            .WithSummary("The core API's newest dead letters of a kind (kind=outbox, export or all; limit= 1 to 200, 50 by default) and each kind's total.");
        dlq.MapPost("/{kind}/{id}/replay", Replay).WithName("ReplayDeadLetter")
            .RequireAuthorization(Caller.AdminPolicy).RequireRateLimiting(MutationRateLimit.Policy)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Hands one dead letter back to the core API's queue (outbox: POST /v1/admin/outbox/{id}/replay; export: POST /v1/admin/export-dead-letter/{id}/replay); audited with its answer.");
        return app;
    }

    public static async Task<Results<Ok<DeadLetterListing>, ProblemHttpResult>> List(
        [AsParameters] DeadLetterQuery query, DeadLetterControl control, CancellationToken cancellationToken) =>
        await control.ListAsync(QueryValues.Given(query.Kind) ?? DeadLetterKinds.All, QueryValues.WholeNumber(query.Limit) ?? DeadLetterQuery.DefaultLimit, cancellationToken) switch
        {
            DeadLetterOutcome.Listed listed => TypedResults.Ok(listed.Listing),
            var other => Problem(other),
        };

    public static async Task<Results<Ok<DeadLetterReplay>, ProblemHttpResult>> Replay(
        [AsParameters] DeadLetterRoute route, HttpContext http, DeadLetterControl control, CancellationToken cancellationToken) =>
        await control.ReplayAsync(route.Kind, route.Id, ApiAudit.Requester(http), cancellationToken) switch
        {
            DeadLetterOutcome.Replayed replayed => TypedResults.Ok(replayed.Replay),
            var other => Problem(other),
        };

    /// <summary>The answer to a call that brought nothing to pass on; the detail names the call and what happened, never credentials.</summary>
    private static ProblemHttpResult Problem(DeadLetterOutcome outcome) => outcome switch
    {
        DeadLetterOutcome.NotFound notFound => TypedResults.Problem(
            title: "Unknown dead letter", detail: notFound.Detail, statusCode: StatusCodes.Status404NotFound),
        DeadLetterOutcome.Failed { Failure: DeadLetterFailure.TimedOut } failed => TypedResults.Problem(
            title: "The core API did not answer in time", detail: failed.Detail, statusCode: StatusCodes.Status504GatewayTimeout),
        DeadLetterOutcome.Failed { Failure: DeadLetterFailure.Unavailable } failed => TypedResults.Problem(
            title: "The core API cannot be reached", detail: failed.Detail, statusCode: StatusCodes.Status503ServiceUnavailable),
        DeadLetterOutcome.Failed failed => TypedResults.Problem(
            title: "The core API answered with an error", detail: failed.Detail, statusCode: StatusCodes.Status502BadGateway),
        _ => throw new InvalidOperationException($"{outcome} is not a problem"),
    };
}

/// <summary>The query string of <c>GET /api/dlq</c>.</summary>
public sealed class DeadLetterQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary><c>outbox</c>, <c>export</c> or <c>all</c> (the default).</summary>
    [DeadLetterKindName(allowAll: true)]
    public string? Kind { get; init; }

    /// <summary>1 to 200; 50 by default.</summary>
    [WholeNumber(1, MaxLimit)]
    public string? Limit { get; init; }
}

/// <summary>The route of <c>POST /api/dlq/{kind}/{id}/replay</c>.</summary>
public sealed class DeadLetterRoute
{
    /// <summary><c>outbox</c> or <c>export</c>.</summary>
    [FromRoute(Name = "kind")]
    [DeadLetterKindName(allowAll: false)]
    public required string Kind { get; init; }

    /// <summary>The item's id as the listing gives it: 1 to 200 of letters, digits and <c>-_.:</c>.</summary>
    [FromRoute(Name = "id")]
    [RegularExpression("^[A-Za-z0-9_.:-]{1,200}$", ErrorMessage = "Must be 1 to 200 letters, digits, '-', '_', '.' or ':', as the dead-letter listing gives it.")]
    public required string Id { get; init; }
}

/// <summary>A dead-letter kind: <c>outbox</c> or <c>export</c>, and <c>all</c> where a listing is asked for.</summary>
internal sealed class DeadLetterKindNameAttribute(bool allowAll) : OneOfAttribute("dead-letter kind", "kinds")
{
    protected override IReadOnlyCollection<string> Valid(ValidationContext context) => allowAll ? DeadLetterKinds.Listable : DeadLetterKinds.Each;
}
