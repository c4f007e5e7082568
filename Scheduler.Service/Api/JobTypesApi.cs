using Microsoft.AspNetCore.Http.HttpResults;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Service.Api;

/// <summary><c>GET /api/jobs/types</c>: the catalog, with each type's defaults, limits and trigger parameters.</summary>
public static class JobTypesApi
{
    public static RouteGroupBuilder MapJobTypes(this RouteGroupBuilder jobs)
    {
        jobs.MapGet("/types", ListTypes)
            .WithName("ListJobTypes")
            .WithSummary("Every job type: description, kind, source (configuration or api), the call an HTTP-call type makes, default schedule and time zone, enabled, timeout, retry policy, and the parameters a manual trigger accepts.");
        return jobs;
    }

    public static Ok<IReadOnlyList<JobTypeInfo>> ListTypes(JobCatalog catalog) =>
        TypedResults.Ok<IReadOnlyList<JobTypeInfo>>([.. catalog.All.Select(ToInfo)]);

    internal static JobTypeInfo ToInfo(JobDefinition definition) => new()
    {
        Name = definition.Name,
        Description = definition.Description,
        Kind = definition.Kind.ToString(),
        Enabled = definition.Enabled,
        DefaultSchedule = new ScheduleDefinition(definition.Cron, definition.TimeZone, definition.Scheduled),
        TimeoutSeconds = definition.Timeout.TotalSeconds,
        Retry = new RetryPolicyInfo(definition.Retry.MaxAttempts, definition.Retry.InitialDelay.TotalSeconds, definition.Retry.MaxDelay?.TotalSeconds),
        PauseAfterFailures = definition.PauseAfterFailures,
        Recoverable = definition.Recoverable,
        MisfireGraceSeconds = definition.MisfireGrace?.TotalSeconds,
        Parameters = [.. definition.Parameters.Select(p => new JobParameterInfo(p.Name, p.Type, p.Default, p.Minimum, p.Maximum, p.Description) { Choices = p.Choices })],
        Source = definition.Source,
        Call = definition.Call is { } call ? new HttpCallInfo(call.Service, call.Method, call.Path, call.Body, call.ItemsField) : null,
    };
}
