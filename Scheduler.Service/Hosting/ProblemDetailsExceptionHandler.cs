using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Hosting;

/// <summary>
/// The one place exceptions become responses: unreadable input is a 4xx naming what was wrong,
/// an unreachable database is a 503, anything else a 500 with a trace id and no internals.
/// </summary>
internal sealed partial class ProblemDetailsExceptionHandler(
    IProblemDetailsService problemDetails,
    IOptions<HttpJsonOptions> jsonOptions,
    ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            BadHttpRequestException bad => FromBadRequest(httpContext, bad),
            // Only a database that cannot be reached is a 503; a rejected statement is a bug (500).
            NpgsqlException { IsTransient: true } or TimeoutException => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable",
                Detail = "The request was not carried out. Try again shortly.",
            },
            SchedulerUnavailableException unavailable => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The scheduler could not carry out the change",
                Detail = $"{unavailable.Message} Try again shortly.",
            },
            _ => null,
        };

        if (problem is null)
        {
            LogUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "An unexpected error occurred",
            };
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            LogDatabaseUnavailable(exception, httpContext.Request.Method, httpContext.Request.Path);
            httpContext.Response.Headers.RetryAfter = "5";
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private ProblemDetails FromBadRequest(HttpContext httpContext, BadHttpRequestException exception)
    {
        if (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new ProblemDetails
            {
                Status = exception.StatusCode,
                Title = "Request body too large",
                Detail = $"The body may be at most {ServiceDefaults.MaxRequestBodyBytes} bytes.",
            };
        }

        if (exception.InnerException is JsonException json)
        {
            var field = FieldOf(json.Path);
            return new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [field] = [field == "body" ? "The request body is not valid JSON."
                    : !IsFieldOf(httpContext, field) ? $"'{field}' is not a field of this request."
                    : $"'{field}' has a value of the wrong type, is malformed or is given more than once."],
            })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request body could not be read",
            };
        }

        return new ProblemDetails
        {
            Status = exception.StatusCode,
            Title = "The request could not be read",
            Detail = exception.StatusCode == StatusCodes.Status415UnsupportedMediaType
                ? "Send the body as application/json."
                : "The request body is missing or unreadable.",
        };
    }

    /// <summary>"$.parameters.depth" becomes "parameters.depth"; the root or no path becomes "body".</summary>
    private static string FieldOf(string? path) =>
        path is null or "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    /// <summary>
    /// Whether <paramref name="field"/> starts with a member of the body the endpoint reads, as the JSON options name
    /// it. Unmapped members are refused (see <see cref="ServiceDefaults"/>), so any other name was never a field.
    /// </summary>
    private bool IsFieldOf(HttpContext httpContext, string field)
    {
        // The exception handler runs with the endpoint cleared; the feature keeps the one that failed.
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is not { } body)
        {
            return true;
        }

        var member = field.Split('.', '[')[0];
        return jsonOptions.Value.SerializerOptions.GetTypeInfo(body).Properties.Any(p => p.Name == member);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable for {Method} {Path}")]
    private partial void LogDatabaseUnavailable(Exception exception, string method, string path);
}
