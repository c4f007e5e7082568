using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace Scheduler.Service.Hosting;

/// <summary>
/// The framework's validation names a failure by the C# member ("StartedBy", "Parameters") or parameter
/// ("idempotencyKey"); clients know the wire names. Each key becomes what the client sent: the header or query
/// name a handler parameter binds, else the camelCase JSON name, segment by segment.
/// </summary>
internal static class ValidationProblemNames
{
    public static void UseWireNames(HttpValidationProblemDetails problem, HttpContext http)
    {
        var parameters = http.GetEndpoint()?.Metadata.GetMetadata<MethodInfo>()?.GetParameters() ?? [];
        problem.Errors = problem.Errors.ToDictionary(e => WireName(e.Key, parameters), e => e.Value);
    }

    private static string WireName(string key, ParameterInfo[] parameters)
    {
        var bound = parameters.FirstOrDefault(p => p.Name == key)?.GetCustomAttributes()
            .Select(a => a switch
            {
                IFromHeaderMetadata header => header.Name,
                IFromQueryMetadata query => query.Name,
                _ => null,
            })
            .FirstOrDefault(name => name is not null);
        return bound ?? string.Join('.', key.Split('.').Select(JsonNamingPolicy.CamelCase.ConvertName));
    }
}
