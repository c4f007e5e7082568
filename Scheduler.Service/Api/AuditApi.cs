using Microsoft.AspNetCore.Http.HttpResults;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary><c>/api/audit</c>: the trail of operator actions.</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(Caller.ReaderPolicy).RejectUnreadQuery()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        audit.MapGet("", ListAudit)
            .WithName("ListAudit")
            .ProducesValidationProblem()
            .WithSummary("Operator actions (trigger, cancel, retry, pause, resume, schedule change), newest first, filtered by action, actor, jobType, targetId and from/to, paged.");
        return app;
    }

    public static async Task<Ok<AuditPage>> ListAudit([AsParameters] AuditQuery query, AuditLog audit, CancellationToken cancellationToken)
    {
        var (page, total, next) = await audit.ListAsync(query.Filter, query.PageNumber, query.PageSize, query.After, cancellationToken);
        return TypedResults.Ok(new AuditPage(page, total, query.PageNumber, query.PageSize, next?.Encode()));
    }
}
