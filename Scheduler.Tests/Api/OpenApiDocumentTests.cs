using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

/// <summary>
/// The served OpenAPI document, read back with the OpenAPI.NET reader: valid, describing every route the service
/// maps under <c>/api</c> with its method, the bearer scheme and role on each, problem answers, the event stream's
/// media type, string enums with their wire values, and examples that deserialize into the Contracts types.
/// </summary>
public sealed class OpenApiDocumentTests : ServiceFixture
{
    private string _json = null!;
    private OpenApiDocument _document = null!;
    private OpenApiDiagnostic _diagnostic = null!;

    protected override async Task OnStartedAsync()
    {
        using var anonymous = Service.CreateClient(null);
        _json = await anonymous.GetStringAsync("/openapi/v1.json");
        var (document, diagnostic) = OpenApiDocument.Parse(_json, OpenApiConstants.Json);
        _document = document!;
        _diagnostic = diagnostic!;
    }

    /// <summary>Operations that take a body but change nothing: readers may call them, and they are not rate limited as changes are.</summary>
    private static readonly HashSet<string> Computations = ["POST /api/schedules/preview"];

    private static bool ChangesSomething(HttpMethod method, string path) => method != HttpMethod.Get && !Computations.Contains($"{method} {path}");

    private IEnumerable<(string Path, HttpMethod Method, OpenApiOperation Operation)> ApiOperations() =>
        from path in _document.Paths
        where path.Key.StartsWith("/api/", StringComparison.Ordinal)
        from operation in path.Value.Operations!
        select (path.Key, operation.Key, operation.Value);

    [Test]
    public void Document_ParsesAsOpenApi31_WithoutErrors()
    {
        _diagnostic.Errors.Should().BeEmpty();
        _diagnostic.SpecificationVersion.Should().Be(OpenApiSpecVersion.OpenApi3_1);
        _document.Paths.Should().NotBeEmpty();
    }

    [Test]
    public void EveryMappedApiRoute_IsDescribed_WithItsMethods()
    {
        var routes = Service.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Path: DocumentPath(e.RoutePattern.RawText!), Method: m)))
            .ToList();
        routes.Should().HaveCountGreaterThan(15, "every /api route should be found: jobs, events, schedules, audit");

        var described = ApiOperations().Select(o => (o.Path, Method: o.Method.Method)).ToHashSet();

        routes.Should().OnlyContain(r => described.Contains(r), "every /api route should be in the document with its method");
    }

    [Test]
    public void Document_DescribesOnlyTheApi_NotTheProbes()
    {
        _document.Paths.Keys.Should().OnlyContain(p => p.StartsWith("/api/", StringComparison.Ordinal));
    }

    [Test]
    public void EveryApiOperation_RequiresTheBearerScheme_AndNamesItsRole()
    {
        var scheme = _document.Components!.SecuritySchemes!["bearer"];
        scheme.Type.Should().Be(SecuritySchemeType.Http);
        scheme.Scheme.Should().Be("bearer");
        scheme.BearerFormat.Should().Be("JWT");

        foreach (var (path, method, operation) in ApiOperations())
        {
            var name = $"{method} {path}";
            operation.Security.Should().ContainSingle(name).Which.Keys.Select(k => k.Reference.Id).Should().Equal(["bearer"], name);
            var role = ((JsonNodeExtension)operation.Extensions!["x-required-role"]).Node.GetValue<string>();
            role.Should().Be(ChangesSomething(method, path) ? "Scheduler.Admin" : "Scheduler.Reader", name);
            operation.Description.Should().Contain(role, name);
        }
    }

    [Test]
    public void EveryApiOperation_DeclaresProblemAnswers()
    {
        foreach (var (path, method, operation) in ApiOperations())
        {
            var name = $"{method} {path}";
            var problems = operation.Responses!
                .Where(r => r.Key.StartsWith('4') && r.Value.Content?.ContainsKey("application/problem+json") == true)
                .Select(r => r.Key)
                .ToList();
            problems.Should().Contain(["401", "403"], name);
            if (ChangesSomething(method, path))
            {
                problems.Should().Contain("429", $"{name} is rate limited");
            }
        }
    }

    [Test]
    public void ProblemAnswers_ReferenceProblemDetailsSchemas()
    {
        var trigger = Operation("/api/jobs/trigger", HttpMethod.Post);

        SchemaId(trigger.Responses!["400"]).Should().Be("HttpValidationProblemDetails");
        SchemaId(trigger.Responses["409"]).Should().Be("ProblemDetails");
        SchemaId(trigger.Responses["422"]).Should().Be("ProblemDetails");
        SchemaId(Operation("/api/jobs/{id}", HttpMethod.Get).Responses!["404"]).Should().Be("ProblemDetails");
        SchemaId(Operation("/api/schedules/{jobType}/pause", HttpMethod.Post).Responses!["404"]).Should().Be("ProblemDetails");
        SchemaId(Operation("/api/jobs", HttpMethod.Get).Responses!["400"]).Should().Be("HttpValidationProblemDetails");
    }

    [Test]
    public void EventStream_IsDescribedAsServerSentEvents()
    {
        var stream = Operation("/api/jobs/events", HttpMethod.Get);

        stream.Responses!["200"].Content.Should().ContainKey("text/event-stream");
        stream.Responses.Keys.Should().Contain(["401", "403", "429", "503"]);
    }

    [Test]
    public void Enums_AreStringEnums_WithTheirWireValues()
    {
        var schemas = _document.Components!.Schemas!;

        var status = schemas["ExecutionStatus"];
        status.Type.Should().Be(JsonSchemaType.String);
        status.Enum!.Select(e => e.GetValue<string>()).Should().Equal("scheduled", "pending", "running", "completed", "failed", "cancelled", "skipped");
        schemas["ExecutionTrigger"].Type.Should().Be(JsonSchemaType.String);
        schemas["ExecutionTrigger"].Enum!.Select(e => e.GetValue<string>()).Should().Contain(["manual", "cron", "retry", "recovery", "backfill"]);
    }

    [Test]
    public void MainOperations_CarryExamples_InTheContractsShapes()
    {
        var trigger = Operation("/api/jobs/trigger", HttpMethod.Post);
        var request = Example(trigger.RequestBody!.Content!["application/json"]).Deserialize<TriggerJobRequest>(Json);
        request!.JobType.Should().Be(JobTypes.CrawlPending);
        request.Parameters!.Value.GetProperty("batchSize").GetInt32().Should().Be(50);
        Example(trigger.Responses!["202"].Content!["application/json"]).Deserialize<TriggerJobResponse>(Json)!.Status.Should().Be(ExecutionStatus.Pending);

        var execution = Example(Operation("/api/jobs/{id}", HttpMethod.Get).Responses!["200"].Content!["application/json"]).Deserialize<JobExecution>(Json)!;
        execution.Status.Should().Be(ExecutionStatus.Completed);
        execution.Result!.ItemsProcessed.Should().Be(150);

        Example(Operation("/api/jobs", HttpMethod.Get).Responses!["200"].Content!["application/json"]).Deserialize<JobExecutionPage>(Json)!.Jobs.Should().ContainSingle();
        Example(Operation("/api/jobs/status", HttpMethod.Get).Responses!["200"].Content!["application/json"]).Deserialize<JobStatusReport>(Json)!.Jobs
            .Should().ContainSingle().Which.Name.Should().Be(JobTypes.CrawlPending);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private OpenApiOperation Operation(string path, HttpMethod method) => _document.Paths[path].Operations![method];

    private static JsonNode Example(OpenApiMediaType media) => media.Example ?? throw new AssertionException("no example");

    private static string? SchemaId(IOpenApiResponse response) =>
        response.Content!.Single().Value.Schema is OpenApiSchemaReference reference ? reference.Reference.Id : null;

    /// <summary>A route pattern as the document writes it: constraints dropped (<c>{id:guid}</c> is <c>{id}</c>).</summary>
    private static string DocumentPath(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern.TrimEnd('/'), @"\{(\w+)(:[^}]*)?\}", "{$1}");
}
