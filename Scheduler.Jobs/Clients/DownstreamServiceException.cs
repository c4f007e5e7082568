using System.Net;

namespace Scheduler.Jobs.Clients;

/// <summary>A downstream service answered with an error status. The message names the service, the call and the status.</summary>
public sealed class DownstreamServiceException(string service, string call, HttpStatusCode status)
    : Exception($"{service} service answered {(int)status} {status} to {call}")
{
    public string Service { get; } = service;

    public HttpStatusCode Status { get; } = status;

    internal static void ThrowIfFailed(HttpResponseMessage response, string service)
    {
        if (!response.IsSuccessStatusCode)
        {
            var request = response.RequestMessage;
            var call = request is null ? "a request" : $"{request.Method} {request.RequestUri?.AbsolutePath}";
            throw new DownstreamServiceException(service, call, response.StatusCode);
        }
    }
}
