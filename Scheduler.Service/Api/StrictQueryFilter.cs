using System.Reflection;
using System.Text.Json;

namespace Scheduler.Service.Api;

/// <summary>
/// For an endpoint whose query string binds to an <see cref="IStrictQuery"/> (every <see cref="ListQuery"/> is one): every parameter is one it reads, given at
/// most once, without control characters. A misspelt filter ("stauts=failed") must not silently widen the answer, a
/// repeated one must not be joined into one value, and PostgreSQL refuses U+0000 in text. Endpoints without a
/// query record are left as they are.
/// </summary>
internal static class StrictQueryFilter
{
    /// <summary>Adds the check ahead of every other filter, the framework's validation included: a repeated value is never read joined.</summary>
    public static TBuilder RejectUnreadQuery<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => endpoint.FilterFactories.Insert(0, Create));
        return builder;
    }

    private static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var query = context.MethodInfo.GetParameters()
            .Select(p => p.ParameterType)
            .FirstOrDefault(t => t.IsAssignableTo(typeof(IStrictQuery)));
        if (query is null)
        {
            return next;
        }

        string[] known = [.. query.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
        return invocation =>
        {
            var errors = Problems(invocation.HttpContext.Request.Query, known);
            return errors.Count == 0
                ? next(invocation)
                : ValueTask.FromResult<object?>(TypedResults.ValidationProblem(errors, title: "The query is invalid"));
        };
    }

    private static Dictionary<string, string[]> Problems(IQueryCollection query, string[] known)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (given, values) in query)
        {
            if (known.FirstOrDefault(k => string.Equals(k, given, StringComparison.OrdinalIgnoreCase)) is not { } name)
            {
                errors[QueryValues.Shorten(given)] = [$"Unknown parameter. Valid parameters: {string.Join(", ", known)}."];
            }
            else if (values.Count > 1)
            {
                errors[name] = ["Give this parameter at most once."];
            }
            else if (values.Any(v => v is not null && v.Any(char.IsControl)))
            {
                errors[name] = ["Must not contain control characters."];
            }
        }

        return errors;
    }
}

/// <summary>A query-string record whose properties are all the parameters its endpoint reads (see <see cref="StrictQueryFilter"/>).</summary>
public interface IStrictQuery;
