using Scalar.AspNetCore;

namespace Scheduler.Service.Hosting;

/// <summary>
/// The API described: the OpenAPI 3.1 document at <c>/openapi/v1.json</c>, generated from the endpoints themselves,
/// and an interactive reference at <c>/scalar</c>. It describes every endpoint under <c>/api</c> with its problem
/// answers, the bearer scheme and the role each operation needs, and examples on the main operations; the probes and
/// <c>/metrics</c> are left out, being for the platform rather than for integrators. Both anonymous; <c>ApiReference:Enabled=false</c> switches both off.
/// </summary>
public static class ApiReference
{
    public const string Section = "ApiReference";
    public const string DocumentName = "v1";

    private static bool Enabled(IConfiguration configuration) => configuration.GetValue($"{Section}:Enabled", defaultValue: true);

    public static WebApplicationBuilder AddApiReference(this WebApplicationBuilder builder)
    {
        if (Enabled(builder.Configuration))
        {
            builder.Services.AddOpenApi(DocumentName, options =>
            {
                options.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1;
                options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
                options.AddSchemaTransformer<StringEnumSchemaTransformer>();
                options.AddDocumentTransformer<BearerSecurityTransformer>();
                options.AddOperationTransformer<BearerSecurityTransformer>();
                options.AddOperationTransformer<OperationExamplesTransformer>();
            });
        }

        return builder;
    }

    public static IEndpointRouteBuilder MapApiReference(this WebApplication app)
    {
        if (Enabled(app.Configuration))
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference("/scalar", options => options.WithTitle("Scheduler API")).AllowAnonymous();
        }

        return app;
    }
}
