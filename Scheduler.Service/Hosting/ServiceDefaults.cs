using System.Text.Json;

namespace Scheduler.Service.Hosting;

public static class ServiceDefaults
{
    /// <summary>Largest request body accepted, in bytes; larger bodies get 413.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The title <see cref="HttpValidationProblemDetails"/> starts with.</summary>
    private const string FrameworkValidationTitle = "One or more validation errors occurred.";

    /// <summary>Problem details for every error, strict JSON, bounded request bodies.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);

        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            // The bare 401 and 403 the auth middleware answers with say what would have worked.
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status401Unauthorized => "Send a valid bearer token (Authorization: Bearer <token>) from a trusted issuer.",
                StatusCodes.Status403Forbidden => "The token is valid but lacks the role this needs: Scheduler.Reader to read, Scheduler.Admin to change.",
                _ => null,
            };
            if (context.ProblemDetails is HttpValidationProblemDetails { Title: FrameworkValidationTitle } validation)
            {
                validation.Title = "The request is invalid";
                ValidationProblemNames.UseWireNames(validation, context.HttpContext);
            }
        });
        // Request and query records carry their own rules (attributes, IValidatableObject); a failure is a 400 naming the field.
        builder.Services.AddValidation();
        builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();

        // A body that cannot be read becomes an exception the handler above turns into a 400 naming the field.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
            o.SerializerOptions.AllowTrailingCommas = false;
            o.SerializerOptions.ReadCommentHandling = JsonCommentHandling.Disallow;
            // A misspelt or repeated field is an error, not silently dropped or overwritten.
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.AllowDuplicateProperties = false;
        });
        return builder;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
