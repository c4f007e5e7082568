using Microsoft.AspNetCore.Http.HttpResults;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Notifications;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary>
/// <c>/api/notifications</c>: each job type's webhooks (signed, on failure, recovery or every completion) and heartbeat
/// pings (on success), and the delivery log of each. Configuration-owned notifications are read-only here.
/// </summary>
public static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var notifications = app.MapGroup("/api/notifications").WithTags("Notifications").RequireAuthorization(Caller.ReaderPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        notifications.MapGet("", List).WithName("ListNotifications").ProducesValidationProblem()
            .WithSummary("Every notification, or one job type's (jobType=); secrets are never shown, only whether one is set.");
        notifications.MapGet("/{id:guid}", Get).WithName("GetNotification").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One notification.");
        notifications.MapGet("/{id:guid}/deliveries", Deliveries).WithName("ListNotificationDeliveries")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem()
            .WithSummary("The notification's latest deliveries (limit=, 50 by default), newest first: event, execution, attempts, last status code or error, next attempt, delivered at.");

        var changes = notifications.MapGroup("").RequireAuthorization(Caller.AdminPolicy).RequireRateLimiting(MutationRateLimit.Policy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        changes.MapPost("", Create).WithName("CreateNotification")
            .WithSummary("Adds a webhook (events failure, recovery, completion; signed with its secret) or a heartbeat ping URL (called on success) to a job type.");
        changes.MapPut("/{id:guid}", Replace).WithName("ReplaceNotification").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Replaces a notification created through the API (omit secret to keep it); 409 for one configuration owns.");
        changes.MapDelete("/{id:guid}", Delete).WithName("DeleteNotification").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Deletes a notification created through the API, and its delivery log; 409 for one configuration owns.");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<NotificationView>>> List([AsParameters] NotificationListQuery query, NotificationStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(QueryValues.Given(query.JobType), cancellationToken));

    public static async Task<Results<Ok<NotificationView>, ProblemHttpResult>> Get(Guid id, NotificationStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : NotFound(id);

    public static async Task<Results<Ok<IReadOnlyList<NotificationDelivery>>, ProblemHttpResult>> Deliveries(
        Guid id, [AsParameters] DeliveryListQuery query, NotificationStore store, DeliveryStore deliveries, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is null
            ? NotFound(id)
            : TypedResults.Ok(await deliveries.ListAsync(id, QueryValues.WholeNumber(query.Limit) ?? DeliveryListQuery.DefaultLimit, cancellationToken));

    public static async Task<Results<Created<NotificationView>, ValidationProblem, ProblemHttpResult>> Create(
        NotificationRequest request, HttpContext http, NotificationControl control, CancellationToken cancellationToken) =>
        await control.CreateAsync(request, ApiAudit.Requester(http), cancellationToken) switch
        {
            NotificationResult.Done done => TypedResults.Created($"/api/notifications/{done.View.Id}", done.View),
            NotificationResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The notification is invalid"),
            var other => Problem(other),
        };

    public static async Task<Results<Ok<NotificationView>, ValidationProblem, ProblemHttpResult>> Replace(
        Guid id, NotificationRequest request, HttpContext http, NotificationControl control, CancellationToken cancellationToken) =>
        await control.ReplaceAsync(id, request, ApiAudit.Requester(http), cancellationToken) switch
        {
            NotificationResult.Done done => TypedResults.Ok(done.View),
            NotificationResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The notification is invalid"),
            var other => Problem(other),
        };

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid id, HttpContext http, NotificationControl control, CancellationToken cancellationToken) =>
        await control.DeleteAsync(id, ApiAudit.Requester(http), cancellationToken) switch
        {
            NotificationResult.Done => TypedResults.NoContent(),
            var other => Problem(other),
        };

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Unknown notification", detail: $"No notification has the id {id}.", statusCode: StatusCodes.Status404NotFound);

    /// <summary>The answer to a use case that did not carry out the change.</summary>
    private static ProblemHttpResult Problem(NotificationResult result) => result switch
    {
        NotificationResult.NotFound notFound => TypedResults.Problem(title: "Unknown notification", detail: notFound.Detail, statusCode: StatusCodes.Status404NotFound),
        NotificationResult.Conflict conflict => TypedResults.Problem(title: conflict.Title, detail: conflict.Detail, statusCode: StatusCodes.Status409Conflict),
        _ => throw new InvalidOperationException($"{result} is not a problem"),
    };
}

/// <summary>The query string of <c>GET /api/notifications</c>.</summary>
public sealed class NotificationListQuery
{
    [JobTypeName]
    public string? JobType { get; init; }
}

/// <summary>The query string of <c>GET /api/notifications/{id}/deliveries</c>.</summary>
public sealed class DeliveryListQuery
{
    public const int DefaultLimit = 50;

    [WholeNumber(1, 200)]
    public string? Limit { get; init; }
}
