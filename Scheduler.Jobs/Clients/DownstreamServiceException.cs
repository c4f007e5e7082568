using System.Net;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// A call to a downstream service failed: it answered with an error status, did not answer in time,
/// could not be reached, or its circuit is open. The message names the service, the call and what happened.
/// </summary>
public sealed class DownstreamServiceException(string service, string message, HttpStatusCode? status = null) : Exception(message)
{
    /// <summary>The service, as <see cref="ServiceNames"/> names it.</summary>
    public string Service { get; } = service;

    /// <summary>The status it answered with, when it answered.</summary>
    public HttpStatusCode? Status { get; } = status;

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
