using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary><c>/api/jobs</c>: trigger a run, read one, list the history.</summary>
public static partial class JobsApi
{
    private const int MaxTriggeredByLength = 200;
    private const int MaxIdempotencyKeyLength = 200;
    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int MaxParameterDepth = 5;

    private const int MaxParameterBytes = 8 * 1024;

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization(Caller.ReaderPolicy);

        jobs.MapPost("/trigger", TriggerJob)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("TriggerJob")
            .WithSummary("Records a run as pending and hands it to the cluster; 202 with its id. One pending or running run per type; an Idempotency-Key makes the call repeatable.");
        jobs.MapPost("/{id:guid}/cancel", CancelJob)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("CancelJob")
            .WithSummary("Cancels a pending run (it never starts) or interrupts a running one on whichever node runs it.");
        jobs.MapPost("/{id:guid}/retry", RetryJob)
            .RequireAuthorization(Caller.AdminPolicy)
            .RequireRateLimiting(MutationRateLimit.Policy)
            .WithName("RetryJob")
            .WithSummary("Runs a failed or cancelled execution again as a new execution linked to it.");
        jobs.MapJobStatus();
        jobs.MapJobTypes();
        jobs.MapGet("/{id:guid}/logs", GetLogs)
            .WithName("GetJobLogs")
            .WithSummary("What the execution logged while it ran (at most 500 lines and 128 KiB; a last line says when it was cut).");
        jobs.MapGet("/{id:guid}", GetJob)
            .WithName("GetJob")
            .WithSummary("One execution.");
        jobs.MapGet("", ListJobs)
            .WithName("ListJobs")
            .WithSummary("Executions, newest first, filtered by type, status, startedBy and from/to, paged.");
        return app;
    }

    public static async Task<Results<Accepted<TriggerJobResponse>, Ok<TriggerJobResponse>, ValidationProblem, ProblemHttpResult>> TriggerJob(
        TriggerJobRequest request,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        HttpContext http,
        JobCatalog catalog,
        ExecutionStore store,
        RunLifecycle lifecycle,
        StartedByResolver startedBy,
        AuditLog audit,
        TimeProvider time,
        ILoggerFactory loggers,
        IOptions<RecoveryOptions> recovery,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var knownType = catalog.TryGet(request.JobType, out var definition);
        if (!knownType)
        {
            errors["jobType"] = [$"{(string.IsNullOrWhiteSpace(request.JobType) ? "Required" : "Unknown job type")}. Valid types: {string.Join(", ", catalog.Names)}."];
        }

        if (request.TriggeredBy is { Length: > MaxTriggeredByLength })
        {
            errors["triggeredBy"] = [$"At most {MaxTriggeredByLength} characters."];
        }
        else if (HoldsNul(request.TriggeredBy))
        {
            errors["triggeredBy"] = ["Must not contain U+0000."];
        }

        if (request.Parameters is { } parameters && ParametersProblem(parameters) is { } problem)
        {
            errors["parameters"] = [problem];
        }
        else if (knownType && request.Parameters is { ValueKind: JsonValueKind.Object } given)
        {
            // Checked against the catalog (GET /api/jobs/types), each parameter by its own name.
            foreach (var parameter in given.EnumerateObject())
            {
                var declared = definition.Parameters.FirstOrDefault(p => p.Name == parameter.Name);
                var error = declared is null
                    ? definition.Parameters.Count == 0
                        ? $"{definition.Name} takes no parameters."
                        : $"Unknown parameter. {definition.Name} accepts: {string.Join(", ", definition.Parameters.Select(p => p.Name))}."
                    : declared.Problem(parameter.Value);
                if (error is not null)
                {
                    errors[$"parameters.{parameter.Name}"] = [error];
                }
            }
        }

        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(c => c is < '!' or > '~')))
        {
            errors[IdempotencyKeyHeader] = [$"1 to {MaxIdempotencyKeyLength} visible ASCII characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The trigger request is invalid");
        }

        var actor = ApiAudit.Actor(http);
        // The token says who asks; a different triggeredBy in the body is ignored, and the audit row says so.
        var ignoredTriggeredBy = Ignored(request.TriggeredBy, actor);
        if (!definition.Enabled)
        {
            await AuditAsync(audit, http, AuditActions.JobTrigger, actor, null, definition.Name, AuditOutcomes.Rejected, new { reason = "disabled" }, loggers);
            return TypedResults.Problem(
                title: "The job type is disabled",
                detail: $"{definition.Name} is disabled in configuration (Jobs:{definition.Name}:Enabled) and accepts no runs.",
                statusCode: StatusCodes.Status409Conflict);
        }

        // A lost run waiting for its re-run goes first: its recovery is retried every two seconds, and a stream of
        // manual triggers would otherwise keep the type's one slot from it for ever.
        if (definition.Recoverable && await store.WaitingRecoveryAsync(definition.Name, time.GetUtcNow() - recovery.Value.RecoveryWaitLimit, cancellationToken) is { } lost)
        {
            await AuditAsync(audit, http, AuditActions.JobTrigger, actor, null, definition.Name, AuditOutcomes.Conflict, new { waitingRecoveryOf = lost }, loggers);
            return TypedResults.Problem(
                title: "A lost run of this type is about to run again",
                detail: $"Execution {lost} of {definition.Name} lost its node; its re-run starts within seconds and goes first. Try again shortly.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["executionId"] = lost });
        }

        var storedParameters = request.Parameters is { ValueKind: JsonValueKind.Object } p ? p : (JsonElement?)null;
        var (outcome, submitted) = await lifecycle.RecordAndSubmitAsync(
            definition,
            new NewExecution(definition.Name, await startedBy.ResolveAsync(actor, cancellationToken), storedParameters)
            {
                IdempotencyKey = idempotencyKey,
                RequestHash = idempotencyKey is null ? null : RequestHash(definition.Name, actor, storedParameters),
            },
            startAt: null,
            cancellationToken);

        switch (outcome)
        {
            case PendingOutcome.Replayed { SameRequest: true } replay:
                await AuditAsync(audit, http, AuditActions.JobTrigger, actor, replay.Execution.Id, definition.Name, AuditOutcomes.Replayed, new { idempotencyKey }, loggers);
                return TypedResults.Ok(ToResponse(replay.Execution));
            case PendingOutcome.Replayed replay:
                await AuditAsync(audit, http, AuditActions.JobTrigger, actor, replay.Execution.Id, definition.Name, AuditOutcomes.Rejected,
                    new { idempotencyKey, reason = "key reused with a different request" }, loggers);
                return TypedResults.Problem(
                    title: "The Idempotency-Key was used with a different request",
                    detail: $"Key '{idempotencyKey}' already names execution {replay.Execution.Id}, triggered with a different body.",
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    extensions: new Dictionary<string, object?> { ["executionId"] = replay.Execution.Id });
            case PendingOutcome.Busy busy:
                await AuditAsync(audit, http, AuditActions.JobTrigger, actor, null, definition.Name, AuditOutcomes.Conflict, new { activeExecutionId = busy.ActiveId }, loggers);
                return Busy(definition.Name, busy.ActiveId);
        }

        var execution = ((PendingOutcome.Created)outcome).Execution;
        await AuditAsync(audit, http, AuditActions.JobTrigger, actor, execution.Id, definition.Name,
            submitted ? AuditOutcomes.Accepted : AuditOutcomes.Failed,
            new { startedBy = execution.StartedBy, parameters = storedParameters, idempotencyKey, ignoredTriggeredBy }, loggers);
        return submitted ? TypedResults.Accepted($"/api/jobs/{execution.Id}", ToResponse(execution)) : NotSubmitted(execution.Id);
    }

    public static async Task<Results<Ok<JobExecution>, Accepted<JobExecution>, ValidationProblem, ProblemHttpResult>> CancelJob(
        Guid id,
        [FromBody] ExecutionActionRequest? request,
        HttpContext http,
        ExecutionStore store,
        ISchedulerFactory schedulers,
        AuditLog audit,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (ActionRequestProblem(request) is { } invalid)
        {
            return invalid;
        }

        var by = ApiAudit.Actor(http);
        var cancel = await store.RequestCancelAsync(id, by, time.GetUtcNow(), cancellationToken);
        if (cancel is null)
        {
            var current = await store.GetAsync(id, cancellationToken);
            if (current is null)
            {
                return NotFound(id);
            }

            await AuditAsync(audit, http, AuditActions.JobCancel, by, id, current.JobType, AuditOutcomes.Conflict, new { current.Status, request?.Reason }, loggers);
            return TypedResults.Problem(
                title: "The execution has already finished",
                detail: $"Execution {id} is {current.Status}; only a pending or running execution can be cancelled.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["status"] = current.Status });
        }

        var execution = (await store.GetAsync(id, cancellationToken))!;
        await AuditAsync(audit, http, AuditActions.JobCancel, by, id, execution.JobType, AuditOutcomes.Accepted,
            new { wasRunning = cancel.Status == ExecutionStatus.Running, cancel.RunnerId, request?.Reason, ignoredRequestedBy = Ignored(request?.RequestedBy, by) }, loggers);
        if (cancel.Status == ExecutionStatus.Cancelled)
        {
            return TypedResults.Ok(execution);
        }

        if (cancel.FireInstanceId is { } fireInstanceId)
        {
            // On this node the token is cancelled now; on another, after that node's next cluster check-in.
            var scheduler = await schedulers.GetScheduler(CancellationToken.None);
            await scheduler.InterruptFireInstance(fireInstanceId, CancellationToken.None);
        }

        return TypedResults.Accepted($"/api/jobs/{id}", execution);
    }

    public static async Task<Results<Accepted<TriggerJobResponse>, ValidationProblem, ProblemHttpResult>> RetryJob(
        Guid id,
        [FromBody] ExecutionActionRequest? request,
        HttpContext http,
        JobCatalog catalog,
        ExecutionStore store,
        RunLifecycle lifecycle,
        StartedByResolver startedBy,
        AuditLog audit,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (ActionRequestProblem(request) is { } invalid)
        {
            return invalid;
        }

        var failed = await store.GetAsync(id, cancellationToken);
        if (failed is null)
        {
            return NotFound(id);
        }

        var actor = ApiAudit.Actor(http);
        var refused = await RefuseRetryAsync(failed, catalog, store, cancellationToken);
        if (refused is not null)
        {
            await AuditAsync(audit, http, AuditActions.JobRetry, actor, id, failed.JobType, AuditOutcomes.Conflict, new { refused.ProblemDetails.Detail, request?.Reason }, loggers);
            return refused;
        }

        catalog.TryGet(failed.JobType, out var definition);
        var (outcome, submitted) = await lifecycle.RecordAndSubmitAsync(
            definition,
            new NewExecution(definition.Name, await startedBy.ResolveAsync(actor, cancellationToken), failed.Parameters)
            {
                Trigger = ExecutionTrigger.Retry,
                RetryOf = failed.Id,
                RootId = failed.RootId,
                Attempt = failed.Attempt + 1,
            },
            startAt: null,
            cancellationToken);
        if (outcome is PendingOutcome.Busy busy)
        {
            await AuditAsync(audit, http, AuditActions.JobRetry, actor, id, failed.JobType, AuditOutcomes.Conflict, new { activeExecutionId = busy.ActiveId, request?.Reason }, loggers);
            return Busy(definition.Name, busy.ActiveId);
        }

        var execution = ((PendingOutcome.Created)outcome).Execution;
        await AuditAsync(audit, http, AuditActions.JobRetry, actor, id, failed.JobType, submitted ? AuditOutcomes.Accepted : AuditOutcomes.Failed,
            new { retryExecutionId = execution.Id, attempt = execution.Attempt, request?.Reason, ignoredRequestedBy = Ignored(request?.RequestedBy, actor) }, loggers);
        return submitted ? TypedResults.Accepted($"/api/jobs/{execution.Id}", ToResponse(execution)) : NotSubmitted(execution.Id);
    }

    /// <summary>A cancel or retry body the audit row could not hold (PostgreSQL's jsonb refuses U+0000), or null.</summary>
    private static ValidationProblem? ActionRequestProblem(ExecutionActionRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (HoldsNul(request?.RequestedBy))
        {
            errors["requestedBy"] = ["Must not contain U+0000."];
        }

        if (HoldsNul(request?.Reason))
        {
            errors["reason"] = ["Must not contain U+0000."];
        }

        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors, title: "The request is invalid");
    }

    private static bool HoldsNul(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal);

    /// <summary>Why <paramref name="failed"/> cannot be retried, or null when it can.</summary>
    private static async Task<ProblemHttpResult?> RefuseRetryAsync(JobExecution failed, JobCatalog catalog, ExecutionStore store, CancellationToken cancellationToken)
    {
        var id = failed.Id;

        if (failed.Status is not (ExecutionStatus.Failed or ExecutionStatus.Cancelled))
        {
            return TypedResults.Problem(
                title: "Only a failed or cancelled execution can be retried",
                detail: $"Execution {id} is {failed.Status}.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["status"] = failed.Status });
        }

        if (await store.RetriedByAsync(id, cancellationToken) is { } retriedBy)
        {
            return TypedResults.Problem(
                title: "The execution was already retried",
                detail: $"Execution {id} was already retried as execution {retriedBy}.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["executionId"] = retriedBy });
        }

        if (!catalog.TryGet(failed.JobType, out var definition) || !definition.Enabled)
        {
            return TypedResults.Problem(
                title: "The job type cannot run",
                detail: $"{failed.JobType} is not an enabled job type on this service.",
                statusCode: StatusCodes.Status409Conflict);
        }

        return null;
    }

    private static Task AuditAsync(
        AuditLog audit, HttpContext http, string action, string actor, Guid? target, string? jobType, string outcome, object? details, ILoggerFactory loggers) =>
        ApiAudit.RecordAsync(audit, http, new AuditRecord(action, actor, AuditTargetTypes.Execution, target?.ToString(), jobType, null, outcome, details), loggers);

    private static ProblemHttpResult NotSubmitted(Guid executionId) => TypedResults.Problem(
        title: "The scheduler could not accept the run",
        detail: $"Execution {executionId} was recorded as failed and will not run. Try again shortly.",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static ProblemHttpResult Busy(string jobType, Guid activeId) => TypedResults.Problem(
        title: "The job type is already running",
        detail: $"{jobType} has execution {activeId} pending or running; one run of a type at a time, across the cluster.",
        statusCode: StatusCodes.Status409Conflict,
        extensions: new Dictionary<string, object?> { ["executionId"] = activeId });

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Execution not found", detail: $"No execution has id {id}.", statusCode: StatusCodes.Status404NotFound);

    private static TriggerJobResponse ToResponse(JobExecution execution) =>
        new(execution.Id, execution.Id, execution.JobType, execution.Status, execution.StartedAt, execution.CreatedAt);

    /// <summary>A name the body gave for the caller that the token contradicts; kept in the audit row, never used.</summary>
    private static string? Ignored(string? claimed, string actor) =>
        string.IsNullOrWhiteSpace(claimed) || claimed == actor ? null : claimed;

    /// <summary>Why <paramref name="parameters"/> is refused: not an object, nested too deep, or too large.</summary>
    private static string? ParametersProblem(JsonElement parameters)
    {
        if (parameters.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        if (parameters.ValueKind is not JsonValueKind.Object)
        {
            return "Must be a JSON object.";
        }

        if (Depth(parameters) > MaxParameterDepth)
        {
            return $"Nested at most {MaxParameterDepth} levels deep.";
        }

        if (!Storable(parameters))
        {
            return "Names and strings must be valid Unicode without U+0000; number exponents within ±1000.";
        }

        return Encoding.UTF8.GetByteCount(parameters.GetRawText()) > MaxParameterBytes ? $"At most {MaxParameterBytes} bytes of JSON." : null;

        // What PostgreSQL's jsonb accepts. GetString throws on invalid UTF-8 and on escapes that are not valid UTF-16.
        static bool Storable(JsonElement element)
        {
            try
            {
                return element.ValueKind switch
                {
                    JsonValueKind.Object => element.EnumerateObject().All(p => !HoldsNul(p.Name) && Storable(p.Value)),
                    JsonValueKind.Array => element.EnumerateArray().All(Storable),
                    JsonValueKind.String => !HoldsNul(element.GetString()),
                    JsonValueKind.Number => ExponentWithinPostgresRange(element.GetRawText()),
                    _ => true,
                };
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        static bool ExponentWithinPostgresRange(string number)
        {
            var at = number.AsSpan().IndexOfAny('e', 'E');
            return at < 0 || (int.TryParse(number.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
                && exponent is >= -1000 and <= 1000);
        }

        static int Depth(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
            JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
            _ => 0,
        };
    }

    private static string RequestHash(string jobType, string caller, JsonElement? parameters)
    {
        var canonical = JsonSerializer.Serialize(new { jobType, caller, parameters = parameters?.GetRawText() });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public static async Task<Results<Ok<ExecutionLog>, ProblemHttpResult>> GetLogs(
        Guid id, ExecutionStore store, ExecutionLogStore logs, CancellationToken cancellationToken)
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
        Guid id, ExecutionStore store, CancellationToken cancellationToken)
    {
        var execution = await store.GetAsync(id, cancellationToken);
        return execution is null ? NotFound(id) : TypedResults.Ok(execution);
    }

    public static async Task<Results<Ok<JobExecutionPage>, ValidationProblem>> ListJobs(
        HttpRequest request, JobCatalog catalog, ExecutionStore store, CancellationToken cancellationToken)
    {
        if (!JobListQuery.TryParse(request.Query, catalog, out var query, out var errors))
        {
            return TypedResults.ValidationProblem(errors, title: "The query is invalid");
        }

        var (page, total, next) = await store.ListAsync(query.Filter, query.Page, query.Limit, query.After, cancellationToken);
        return TypedResults.Ok(new JobExecutionPage(page, total, query.Page, query.Limit, next?.Encode()));
    }
}
