using System.Net;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// A call to a downstream service failed: it answered with an error status, did not answer in time,
/// could not be reached, or its circuit is open. The message names the service, the call and what happened.
/// </summary>
public sealed class DownstreamServiceException(string service, string message, HttpStatusCode? status = null, DownstreamFailure failure = DownstreamFailure.Answered)
    : Exception(message)
{
    /// <summary>The service, as <see cref="ServiceNames"/> names it.</summary>
    public string Service { get; } = service;

    /// <summary>The status it answered with, when it answered.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>How the call failed: an error answer, no answer in time, no connection, or an open circuit.</summary>
    public DownstreamFailure Failure { get; } = failure;

    internal static void ThrowIfFailed(HttpResponseMessage response, string service)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new DownstreamServiceException(
                service,
                $"{ServiceNames.Display(service)} service answered {(int)response.StatusCode} {response.StatusCode} to {Describe(response.RequestMessage)}",
                response.StatusCode);
        }
    }

    internal static string Describe(HttpRequestMessage? request) =>
        request is null ? "a request" : $"{request.Method} {request.RequestUri?.AbsolutePath}";
}

/// <summary>How a downstream call failed, for callers that answer differently to each (the API's 502, 503 and 504).</summary>
public enum DownstreamFailure
{
    /// <summary>The service answered, with an error status or a body that could not be read.</summary>
    Answered,

    /// <summary>The service did not answer within the attempt's timeout.</summary>
    TimedOut,

    /// <summary>The service could not be reached (connection refused, name not resolved, connection reset).</summary>
    Unreachable,

    /// <summary>The call was not sent: the service's circuit is open after repeated failures.</summary>
    CircuitOpen,
}
