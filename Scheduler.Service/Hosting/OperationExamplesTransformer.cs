using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;

namespace Scheduler.Service.Hosting;

/// <summary>
/// Examples on the operations an integrator starts with (trigger, get, list, status). They are Contracts objects
/// written with the API's own JSON options, so an example cannot drift from what the endpoint sends.
/// </summary>
internal sealed class OperationExamplesTransformer(IOptions<JsonOptions> json) : IOpenApiOperationTransformer
{
    private static readonly Guid ExampleId = Guid.Parse("550e8400-e29b-41d4-a716-446655440000");
    private static readonly DateTimeOffset Created = new(2025, 10, 9, 12, 34, 56, TimeSpan.Zero);

    private static readonly JobExecution Completed = new()
    {
        Id = ExampleId,
        RootId = ExampleId,
        JobType = JobTypes.CrawlPending,
        Status = ExecutionStatus.Completed,
        Trigger = ExecutionTrigger.Manual,
        StartedBy = "user_2abc123",
        RunnerId = "scheduler-7d9f-1",
        Parameters = JsonSerializer.SerializeToElement(new { batchSize = 50 }),
        StartedAt = Created.AddSeconds(1),
        CompletedAt = Created.AddSeconds(46),
        Result = new JobResult
        {
            Success = true,
            ItemsProcessed = 150,
            Details = new Dictionary<string, object?> { ["duration"] = "45.2s", ["durationMs"] = 45200 },
        },
        CreatedAt = Created,
        UpdatedAt = Created.AddSeconds(46),
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        switch (operation.OperationId)
        {
            case "TriggerJob":
                SetRequest(operation, new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 50 } });
                SetResponse(operation, "202", new TriggerJobResponse(ExampleId, ExampleId, JobTypes.CrawlPending, ExecutionStatus.Pending, null, Created));
                break;
            case "GetJob":
                SetResponse(operation, "200", Completed);
                break;
            case "ListJobs":
                SetResponse(operation, "200", new JobExecutionPage([Completed], 1, 1, 50));
                break;
            case "GetJobStatus":
                SetResponse(operation, "200", Status());
                break;
        }

        return Task.CompletedTask;
    }

    private static JobStatusReport Status() => new(
        [
            new JobTypeStatus
            {
                Name = JobTypes.CrawlPending,
                Enabled = true,
                LastHeartbeat = Created.AddSeconds(46),
                RunnerId = "scheduler-7d9f-1",
                LastSuccessAt = Created.AddSeconds(46),
                NextFireTime = Created.AddMinutes(15),
                PreviousFireTime = Created,
                TypicalDuration = new TypicalDuration(45.2, 61.8, 50),
            },
        ],
        [new RunnerStatus("jobs-runner", "scheduler-7d9f-1", Created.AddSeconds(50), 10.0, false)],
        Created.AddMinutes(1));

    private void SetRequest(OpenApiOperation operation, object example)
    {
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true && media is OpenApiMediaType mediaType)
        {
            mediaType.Example = Node(example);
        }
    }

    private void SetResponse(OpenApiOperation operation, string status, object example)
    {
        if (operation.Responses?.TryGetValue(status, out var response) == true
            && response.Content?.TryGetValue("application/json", out var media) == true
            && media is OpenApiMediaType mediaType)
        {
            mediaType.Example = Node(example);
        }
    }

    private JsonNode? Node(object example) => JsonSerializer.SerializeToNode(example, example.GetType(), json.Value.SerializerOptions);
}
