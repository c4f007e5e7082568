using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Api;

/// <summary><c>/api/jobs</c>: trigger a run, read one, list the history.</summary>
public static partial class JobsApi
{
    private const int MaxTriggeredByLength = 200;

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").WithTags("Jobs");

        jobs.MapPost("/trigger", TriggerJob)
            .WithName("TriggerJob")
            .WithSummary("Records a run as pending and hands it to the cluster; 202 with its id.");
        jobs.MapGet("/{id:guid}", GetJob)
            .WithName("GetJob")
            .WithSummary("One execution.");
        jobs.MapGet("", ListJobs)
            .WithName("ListJobs")
            .WithSummary("Executions, newest first, filtered by type, status, startedBy and from/to, paged.");
        return app;
    }

    public static async Task<Results<Accepted<TriggerJobResponse>, ValidationProblem, ProblemHttpResult>> TriggerJob(
        TriggerJobRequest request,
        JobCatalog catalog,
        ExecutionStore store,
        StartedByResolver startedBy,
        ISchedulerFactory schedulers,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!catalog.TryGet(request.JobType, out var definition))
        {
            errors["jobType"] = [$"{(string.IsNullOrWhiteSpace(request.JobType) ? "Required" : "Unknown job type")}. Valid types: {string.Join(", ", catalog.Names)}."];
        }

        if (request.TriggeredBy is { Length: > MaxTriggeredByLength })
        {
            errors["triggeredBy"] = [$"At most {MaxTriggeredByLength} characters."];
        }

        if (request.Parameters is { } parameters && parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            errors["parameters"] = ["Must be a JSON object."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The trigger request is invalid");
        }

        if (!definition.Enabled)
        {
            return TypedResults.Problem(
                title: "The job type is disabled",
                detail: $"{definition.Name} is disabled in configuration (Jobs:{definition.Name}:Enabled) and accepts no runs.",
                statusCode: StatusCodes.Status409Conflict);
        }

        var resolvedStartedBy = await startedBy.ResolveAsync(request.TriggeredBy, cancellationToken);
        var storedParameters = request.Parameters is { ValueKind: JsonValueKind.Object } p ? p : (JsonElement?)null;
        var execution = await store.CreatePendingAsync(definition.Name, resolvedStartedBy, storedParameters, time.GetUtcNow(), cancellationToken);

        // From here the row exists: the hand-over to Quartz is not abandoned if the caller goes away.
        try
        {
            var scheduler = await schedulers.GetScheduler(CancellationToken.None);
            await scheduler.TriggerJob(definition.JobKey, new JobDataMap { [ExecutionData.ExecutionIdKey] = execution.Id.ToString() }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogSubmitFailed(loggers.CreateLogger(typeof(JobsApi)), ex, execution.Id, definition.Name);
            await store.FinishAsync(execution.Id, ExecutionStatus.Failed, "could not be handed to the scheduler", null, time.GetUtcNow(), CancellationToken.None);
            return TypedResults.Problem(
                title: "The scheduler could not accept the run",
                detail: $"Execution {execution.Id} was recorded as failed and will not run. Try again shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.Accepted(
            $"/api/jobs/{execution.Id}",
            new TriggerJobResponse(execution.Id, execution.Id, execution.JobType, execution.Status, execution.StartedAt, execution.CreatedAt));
    }

    public static async Task<Results<Ok<JobExecution>, ProblemHttpResult>> GetJob(
        Guid id, ExecutionStore store, CancellationToken cancellationToken)
    {
        var execution = await store.GetAsync(id, cancellationToken);
        return execution is null
            ? TypedResults.Problem(title: "Execution not found", detail: $"No execution has id {id}.", statusCode: StatusCodes.Status404NotFound)
            : TypedResults.Ok(execution);
    }

    public static async Task<Results<Ok<JobExecutionPage>, ValidationProblem>> ListJobs(
        HttpRequest request, JobCatalog catalog, ExecutionStore store, CancellationToken cancellationToken)
    {
        if (!JobListQuery.TryParse(request.Query, catalog, out var query, out var errors))
        {
            return TypedResults.ValidationProblem(errors, title: "The query is invalid");
        }

        var (page, total) = await store.ListAsync(query.Filter, query.Page, query.Limit, cancellationToken);
        return TypedResults.Ok(new JobExecutionPage(page, total, query.Page, query.Limit));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId} of {JobType} could not be handed to Quartz")]
    private static partial void LogSubmitFailed(ILogger logger, Exception exception, Guid executionId, string jobType);
}
