using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary><c>/api/jobs</c>: trigger a run, read one, list the history.</summary>
public static class JobsApi
{
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization(Caller.ReaderPolicy).RejectUnreadQuery()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        jobs.MapPost("/trigger", TriggerJob)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("TriggerJob")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Records a run as pending and hands it to the cluster; 202 with its id. With runAt or delay, records it as scheduled for then (it does not hold the type until due). One pending or running run per type; an Idempotency-Key makes the call repeatable.");
        jobs.MapPost("/{id:guid}/cancel", CancelJob)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("CancelJob")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Cancels a scheduled or pending run (it never starts) or interrupts a running one on whichever node runs it.");
        jobs.MapPost("/{id:guid}/retry", RetryJob)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("RetryJob")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Runs a failed or cancelled execution again as a new execution linked to it, now or (runAt, delay) later.");
        jobs.MapPost("/retry-failed", RetryFailed)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("RetryFailedJobs")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Retries the failed runs that ended in [from, to) (of a type, with a normalised failure reason, when given) and were not retried yet, one after another, oldest first, at most Runs:BulkRetryLimit per call; with dryRun, only lists them. Answers per run its retry's id or why it was not retried.");
        jobs.MapPost("/cancel-pending", CancelPending)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("CancelPendingJobs")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Cancels the pending and scheduled runs (of a type, when given), oldest first, at most Runs:BulkRetryLimit per call; with dryRun, only lists them. A run that has started meanwhile is left running and reported.");
        jobs.MapJobStatus();
        jobs.MapJobStats();
        jobs.MapJobTypes();
        jobs.MapGet("/{id:guid}/logs", GetLogs)
            .WithName("GetJobLogs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("What the execution logged while it ran (at most 500 lines and 128 KiB; a last line says when it was cut).");
        jobs.MapGet("/{id:guid}", GetJob)
            .WithName("GetJob")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One execution.");
        jobs.MapGet("", ListJobs)
            .WithName("ListJobs")
            .ProducesValidationProblem()
            .WithSummary("Executions, newest first, filtered by type, status, startedBy, schedule, reason (the normalised error GET /api/jobs/stats groups failures by) and from/to, paged.");
        return app;
    }

    public static async Task<Results<Accepted<TriggerJobResponse>, Ok<TriggerJobResponse>, ValidationProblem, ProblemHttpResult>> TriggerJob(
        TriggerJobRequest request,
        [FromHeader(Name = IdempotencyKeyAttribute.Header), IdempotencyKey] string? idempotencyKey,
        HttpContext http,
        ExecutionControl control,
        JobCatalog catalog,
        CancellationToken cancellationToken)
    {
        var command = new TriggerCommand(request.JobType!, request.Parameters, request.TriggeredBy, idempotencyKey, request.RunAt, request.Delay);
        return await control.TriggerAsync(command, ApiAudit.Requester(http), cancellationToken) switch
        {
            TriggerOutcome.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The trigger request is invalid"),
            TriggerOutcome.Disabled disabled => TypedResults.Problem(
                title: "The job type is disabled",
                detail: catalog.TryGet(disabled.JobType, out var type) && type.DefinedAtRunTime
                    ? $"{disabled.JobType} is disabled and accepts no runs; POST /api/job-types/{disabled.JobType}/enable switches it on."
                    : $"{disabled.JobType} is disabled in configuration (Jobs:{disabled.JobType}:Enabled) and accepts no runs.",
                statusCode: StatusCodes.Status409Conflict),
            TriggerOutcome.WaitingRecovery waiting => TypedResults.Problem(
                title: "A lost run of this type is about to run again",
                detail: $"Execution {waiting.LostId} of {waiting.JobType} lost its node; its re-run starts within seconds and goes first. Try again shortly.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["executionId"] = waiting.LostId }),
            TriggerOutcome.Replayed replayed => TypedResults.Ok(ToResponse(replayed.Execution)),
            TriggerOutcome.KeyReused reused => TypedResults.Problem(
                title: "The Idempotency-Key was used with a different request",
                detail: $"Key '{reused.IdempotencyKey}' already names execution {reused.ExecutionId}, triggered with a different body.",
                statusCode: StatusCodes.Status422UnprocessableEntity,
                extensions: new Dictionary<string, object?> { ["executionId"] = reused.ExecutionId }),
            TriggerOutcome.Busy busy => Busy(busy.JobType, busy.ActiveId),
            TriggerOutcome.Accepted accepted => TypedResults.Accepted($"/api/jobs/{accepted.Execution.Id}", ToResponse(accepted.Execution)),
            TriggerOutcome.NotSubmitted notSubmitted => NotSubmitted(notSubmitted.JobType),
            var other => throw new UnreachableException(other.ToString()),
        };
    }

    public static async Task<Results<Ok<JobExecution>, Accepted<JobExecution>, ProblemHttpResult>> CancelJob(
        Guid id, [FromBody] ExecutionActionRequest? request, HttpContext http, ExecutionControl control, CancellationToken cancellationToken) =>
        await control.CancelAsync(id, request, ApiAudit.Requester(http), cancellationToken) switch
        {
            CancelOutcome.Cancelled cancelled => TypedResults.Ok(cancelled.Execution),
            CancelOutcome.Interrupting interrupting => TypedResults.Accepted($"/api/jobs/{id}", interrupting.Execution),
            CancelOutcome.Finished finished => TypedResults.Problem(
                title: "The execution has already finished",
                detail: $"Execution {id} is {finished.Status}; only a pending or running execution can be cancelled.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["status"] = finished.Status }),
            CancelOutcome.NotFound => NotFound(id),
            var other => throw new UnreachableException(other.ToString()),
        };

    public static async Task<Results<Accepted<TriggerJobResponse>, ValidationProblem, ProblemHttpResult>> RetryJob(
        Guid id, [FromBody] RetryJobRequest? request, HttpContext http, ExecutionControl control, CancellationToken cancellationToken) =>
        await control.RetryAsync(id, request, ApiAudit.Requester(http), cancellationToken) switch
        {
            RetryOutcome.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The retry request is invalid"),
            RetryOutcome.Accepted accepted => TypedResults.Accepted($"/api/jobs/{accepted.Execution.Id}", ToResponse(accepted.Execution)),
            RetryOutcome.NotFound => NotFound(id),
            RetryOutcome.NotRetryable notRetryable => TypedResults.Problem(
                title: "Only a failed or cancelled execution can be retried",
                detail: notRetryable.Detail,
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["status"] = notRetryable.Status }),
            RetryOutcome.AlreadyRetried retried => TypedResults.Problem(
                title: "The execution was already retried",
                detail: retried.Detail,
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["executionId"] = retried.RetriedBy }),
            RetryOutcome.CannotRun cannotRun => TypedResults.Problem(
                title: "The job type cannot run", detail: cannotRun.Detail, statusCode: StatusCodes.Status409Conflict),
            RetryOutcome.Busy busy => Busy(busy.JobType, busy.ActiveId),
            RetryOutcome.NotSubmitted notSubmitted => NotSubmitted(notSubmitted.JobType),
            var other => throw new UnreachableException(other.ToString()),
        };

    public static async Task<Results<Ok<RetryFailedResponse>, ValidationProblem>> RetryFailed(
        RetryFailedRequest request, HttpContext http, BulkExecutionControl control, CancellationToken cancellationToken) =>
        await control.RetryFailedAsync(request, ApiAudit.Requester(http), cancellationToken) switch
        {
            BulkOutcome<RetryFailedResponse>.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The bulk retry request is invalid"),
            BulkOutcome<RetryFailedResponse>.Done done => TypedResults.Ok(done.Answer),
            var other => throw new UnreachableException(other.ToString()),
        };

    public static async Task<Results<Ok<CancelPendingResponse>, ValidationProblem>> CancelPending(
        [FromBody] CancelPendingRequest? request, HttpContext http, BulkExecutionControl control, CancellationToken cancellationToken) =>
        await control.CancelPendingAsync(request ?? new CancelPendingRequest(), ApiAudit.Requester(http), cancellationToken) switch
        {
            BulkOutcome<CancelPendingResponse>.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The bulk cancel request is invalid"),
            BulkOutcome<CancelPendingResponse>.Done done => TypedResults.Ok(done.Answer),
            var other => throw new UnreachableException(other.ToString()),
        };

    private static ProblemHttpResult NotSubmitted(string jobType) => TypedResults.Problem(
        title: "The scheduler could not accept the run",
        detail: $"The run of {jobType} could not be handed to the scheduler; nothing was recorded and nothing will run. Try again shortly.",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static ProblemHttpResult Busy(string jobType, Guid activeId) => TypedResults.Problem(
        title: "The job type is already running",
        detail: $"{jobType} has execution {activeId} pending or running; one run of a type at a time, across the cluster.",
        statusCode: StatusCodes.Status409Conflict,
        extensions: new Dictionary<string, object?> { ["executionId"] = activeId });

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Execution not found", detail: $"No execution has id {id}.", statusCode: StatusCodes.Status404NotFound);

    private static TriggerJobResponse ToResponse(JobExecution execution) =>
        new(execution.Id, execution.Id, execution.JobType, execution.Status, execution.StartedAt, execution.CreatedAt, execution.ScheduledFor);

    public static async Task<Results<Ok<ExecutionLog>, ProblemHttpResult>> GetLogs(
        Guid id, ExecutionHistory store, ExecutionLogStore logs, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is null)
        {
            return NotFound(id);
        }

        var lines = await logs.ReadAsync(id, cancellationToken);
        return TypedResults.Ok(new ExecutionLog(
            id,
            [.. lines.Select(l => new ExecutionLogEntry(l.At, l.Level, l.Message))],
            lines.Count > 0 && lines[^1].Message == ExecutionLogBuffer.TruncatedMessage));
    }

    public static async Task<Results<Ok<JobExecution>, ProblemHttpResult>> GetJob(
        Guid id, ExecutionHistory store, CancellationToken cancellationToken)
    {
        var execution = await store.GetAsync(id, cancellationToken);
        return execution is null ? NotFound(id) : TypedResults.Ok(execution);
    }

    public static async Task<Ok<JobExecutionPage>> ListJobs([AsParameters] JobListQuery query, ExecutionHistory store, CancellationToken cancellationToken)
    {
        var (page, total, next) = await store.ListAsync(query.Filter, query.PageNumber, query.PageSize, query.After, cancellationToken);
        return TypedResults.Ok(new JobExecutionPage(page, total, query.PageNumber, query.PageSize, next?.Encode()));
    }
}
