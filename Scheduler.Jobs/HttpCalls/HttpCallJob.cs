using System.Text.Json;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.HttpCalls;

/// <summary>
/// Every HTTP-call job type (the core API's <c>/v1/admin/…</c> maintenance calls, any type
/// configuration declares, and any type defined through the API): one call, <c>Method Path</c> on the configured service, with an
/// idempotency key per execution. The answer's JSON is kept in the result (bounded).
/// </summary>
public sealed class HttpCallJob(JobCatalog catalog, HttpCallClient calls) : IJob
{
    /// <summary>Answers larger than this are summarised rather than stored.</summary>
    private const int MaxStoredResponseChars = 4096;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var jobType = context.JobDetail.Key.Name;
        if (!catalog.TryGet(jobType, out var definition) || definition.Call is not { } call)
        {
            throw new InvalidOperationException($"{jobType} is not an HTTP-call job type on this node");
        }

        var answer = await calls.CallAsync(call.Service, call.Method, call.Path, context.IdempotencyKey(), cancellationToken, call.Body);

        var items = call.ItemsField is { } field && answer is { ValueKind: JsonValueKind.Object } body
            && body.TryGetProperty(field, out var value) && value.TryGetInt32(out var count)
                ? count
                : (int?)null;
        var details = new Dictionary<string, object?>
        {
            ["service"] = ServiceNames.Display(call.Service),
            ["call"] = $"{call.Method} {call.Path}",
            ["response"] = Bounded(answer),
        };
        if (items is null or 0)
        {
            details["note"] = items is 0
                ? $"the service reported {call.ItemsField} = 0: nothing to do"
                : "the service does not report a count of items handled";
        }

        context.Result = new JobResult { Success = true, ItemsProcessed = items ?? 0, Details = details };
    }

    private static object? Bounded(JsonElement? answer)
    {
        if (answer is not { } json)
        {
            return null;
        }

        var raw = json.GetRawText();
        return raw.Length <= MaxStoredResponseChars ? json : $"({raw.Length} characters of JSON, not stored)";
    }
}
