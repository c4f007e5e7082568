using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.HttpCalls;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary>
/// <c>/api/job-types</c>: HTTP-call job types defined at run time. Define one (with an optional first schedule), read
/// it, replace its definition, disable or enable it, delete it; every node's catalog learns of each change within
/// moments, without a restart. Types configuration defines are read-only here (409 naming the configuration key).
/// </summary>
public static class HttpCallTypesApi
{
    public static IEndpointRouteBuilder MapHttpCallTypesApi(this IEndpointRouteBuilder app)
    {
        var types = app.MapGroup("/api/job-types").WithTags("Job types").RequireAuthorization(Caller.ReaderPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        types.MapGet("/{name}", Get).WithName("GetJobType").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One job type as GET /api/jobs/types describes it, whoever defined it.");

        var changes = types.MapGroup("").RequireAuthorization(Caller.AdminPolicy).RequireRateLimiting(MutationRateLimit.Policy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        changes.MapPost("", Define).WithName("DefineJobType")
            .WithSummary("Defines an HTTP-call job type: one call to a configured downstream service, with an optional default schedule; usable on every node within seconds.");
        changes.MapPut("/{name}", Change).WithName("ChangeJobType").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Replaces the definition of a type defined through the API; the next run makes the new call.");
        changes.MapDelete("/{name}", Delete).WithName("DeleteJobType").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Deletes a type defined through the API, with its Quartz job and every trigger of it; its executions stay in the history.");
        changes.MapPost("/{name}/disable", Disable).WithName("DisableJobType").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Disables a type defined through the API: its schedule stops and triggers are refused (409).");
        changes.MapPost("/{name}/enable", Enable).WithName("EnableJobType").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Enables a disabled type defined through the API again, with its schedule.");
        return app;
    }

    public static Results<Ok<JobTypeInfo>, ProblemHttpResult> Get(string name, JobCatalog catalog) =>
        catalog.TryGet(name, out var definition)
            ? TypedResults.Ok(JobTypesApi.ToInfo(definition))
            : NotFound(name);

    public static async Task<Results<Created<JobTypeInfo>, ValidationProblem, ProblemHttpResult>> Define(
        HttpCallTypeRequest request, HttpContext http, HttpCallTypeControl control, CancellationToken cancellationToken) =>
        await control.DefineAsync(request, ApiAudit.Requester(http), cancellationToken) switch
        {
            HttpCallTypeResult.Done done => TypedResults.Created($"/api/job-types/{done.Definition.Name}", JobTypesApi.ToInfo(done.Definition)),
            HttpCallTypeResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The job type definition is invalid"),
            var other => Problem(other),
        };

    public static async Task<Results<Ok<JobTypeInfo>, ValidationProblem, ProblemHttpResult>> Change(
        string name, HttpCallTypeRequest request, HttpContext http, HttpCallTypeControl control, CancellationToken cancellationToken) =>
        Answer(await control.ChangeAsync(name, request, ApiAudit.Requester(http), cancellationToken), "The job type definition is invalid");

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string name, HttpContext http, HttpCallTypeControl control, CancellationToken cancellationToken) =>
        await control.DeleteAsync(name, ApiAudit.Requester(http), cancellationToken) switch
        {
            HttpCallTypeResult.Deleted => TypedResults.NoContent(),
            var other => Problem(other),
        };

    public static async Task<Results<Ok<JobTypeInfo>, ValidationProblem, ProblemHttpResult>> Disable(
        string name, HttpContext http, HttpCallTypeControl control, CancellationToken cancellationToken) =>
        Answer(await control.SetEnabledAsync(name, enabled: false, ApiAudit.Requester(http), cancellationToken), "The disable request is invalid");

    public static async Task<Results<Ok<JobTypeInfo>, ValidationProblem, ProblemHttpResult>> Enable(
        string name, HttpContext http, HttpCallTypeControl control, CancellationToken cancellationToken) =>
        Answer(await control.SetEnabledAsync(name, enabled: true, ApiAudit.Requester(http), cancellationToken), "The enable request is invalid");

    private static Results<Ok<JobTypeInfo>, ValidationProblem, ProblemHttpResult> Answer(HttpCallTypeResult result, string invalidTitle) => result switch
    {
        HttpCallTypeResult.Done done => TypedResults.Ok(JobTypesApi.ToInfo(done.Definition)),
        HttpCallTypeResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: invalidTitle),
        var other => Problem(other),
    };

    /// <summary>The problem that says why nothing changed.</summary>
    private static ProblemHttpResult Problem(HttpCallTypeResult result) => result switch
    {
        HttpCallTypeResult.NotFound notFound => NotFound(notFound.Name),
        HttpCallTypeResult.ConfigurationOwned owned => TypedResults.Problem(
            title: "The job type is defined in configuration",
            detail: $"{owned.Name} is defined in configuration ({owned.ConfigurationKey}) and is read-only through the API; change it there, or define a type of another name.",
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["configurationKey"] = owned.ConfigurationKey }),
        HttpCallTypeResult.Conflict conflict => TypedResults.Problem(title: conflict.Title, detail: conflict.Detail, statusCode: StatusCodes.Status409Conflict),
        var other => throw new UnreachableException(other.ToString()),
    };

    private static ProblemHttpResult NotFound(string name) => TypedResults.Problem(
        title: "No such job type",
        detail: $"No job type defined through the API is named '{(name.Length > 64 ? name[..64] + "…" : name)}'. GET /api/jobs/types lists every type.",
        statusCode: StatusCodes.Status404NotFound);
}
