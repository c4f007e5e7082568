using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Scheduler.Client;

/// <summary>An RFC 9457 problem details body as the service writes it; <see cref="Errors"/> names each invalid field.</summary>
public sealed record SchedulerProblem
{
    /// <summary>A URI naming the kind of problem.</summary>
    public string? Type { get; init; }

    /// <summary>A short summary of the problem.</summary>
    public string? Title { get; init; }

    /// <summary>The HTTP status.</summary>
    public int? Status { get; init; }

    /// <summary>What went wrong in this case.</summary>
    public string? Detail { get; init; }

    /// <summary>The request the problem is about.</summary>
    public string? Instance { get; init; }

    /// <summary>For a 400: the invalid fields (e.g. <c>jobType</c>, <c>parameters.batchSize</c>) and what is wrong with each.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();

    /// <summary>Further members, such as <c>executionId</c> on a 409 naming the run in the way, or <c>traceId</c>.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement> Extensions { get; init; } = new Dictionary<string, JsonElement>();
}

/// <summary>The service answered with an error; <see cref="Problem"/> is its problem details.</summary>
public sealed class SchedulerApiException : Exception
{
    public SchedulerApiException(HttpStatusCode statusCode, SchedulerProblem problem)
        : base($"The scheduler answered {(int)statusCode}: {problem?.Title}{(problem?.Detail is { } detail ? " " + detail : "")}")
    {
        StatusCode = statusCode;
        Problem = problem ?? new SchedulerProblem();
    }

    public SchedulerApiException()
        : this(HttpStatusCode.InternalServerError, new SchedulerProblem())
    {
    }

    public SchedulerApiException(string message)
        : base(message)
    {
        Problem = new SchedulerProblem { Title = message };
    }

    public SchedulerApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = new SchedulerProblem { Title = message };
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem details; for an answer without them, one with just the title the status implies.</summary>
    public SchedulerProblem Problem { get; }

    /// <summary>The problem's title.</summary>
    public string? Title => Problem.Title;

    /// <summary>The problem's detail.</summary>
    public string? Detail => Problem.Detail;

    /// <summary>The invalid fields, for a 400.</summary>
    public IReadOnlyDictionary<string, string[]> Errors => Problem.Errors;

    internal static async Task<SchedulerApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        SchedulerProblem? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync<SchedulerProblem>(SchedulerClient.Json, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Not problem details after all (a proxy's page, say): the status alone is what there is.
            }
        }

        return new SchedulerApiException(response.StatusCode, problem ?? new SchedulerProblem { Status = (int)response.StatusCode, Title = response.ReasonPhrase });
    }
}
