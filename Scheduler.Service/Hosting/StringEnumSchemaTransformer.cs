using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Scheduler.Service.Hosting;

/// <summary>
/// Marks the enums the API writes as strings (<c>JsonStringEnumConverter</c> with their
/// <c>JsonStringEnumMemberName</c> values, e.g. <c>runner_lost</c>) as <c>type: string</c>: the generator lists the
/// values but leaves the type out, and client generators then guess.
/// </summary>
internal sealed class StringEnumSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (type.IsEnum && schema.Type is null && schema.Enum is { Count: > 0 } values
            && values.All(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.String))
        {
            schema.Type = JsonSchemaType.String;
        }

        return Task.CompletedTask;
    }
}
