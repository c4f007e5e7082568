using System.Net.Sockets;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// The outermost handler of every downstream client: what the resilience pipeline gives up with
/// (an open circuit, a timeout, an unreachable host) becomes a <see cref="DownstreamServiceException"/>
/// naming the service and the call. Cancellation by the caller passes through untouched.
/// </summary>
internal sealed class DownstreamErrorHandler(string service) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var name = ServiceNames.Display(service);
        var call = DownstreamServiceException.Describe(request);
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        catch (BrokenCircuitException)
        {
            throw new DownstreamServiceException(service, $"{name} service circuit is open after repeated failures; {call} was not sent", failure: DownstreamFailure.CircuitOpen);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new DownstreamServiceException(service, $"{name} service did not answer {call} within {ex.Timeout.TotalSeconds:0.###}s", failure: DownstreamFailure.TimedOut);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var why = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.HttpRequestError.ToString();
            throw new DownstreamServiceException(service, $"{name} service could not be reached for {call} ({why})", failure: DownstreamFailure.Unreachable);
        }
    }
}

/// <summary>Adds the core API's Basic credentials to each attempt. The header's value is redacted from HttpClient logs.</summary>
internal sealed class BasicAuthHandler(CoreApiEndpoint endpoint) : DelegatingHandler
{
    private readonly string _credentials = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{endpoint.Username}:{endpoint.Password}"));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", _credentials);
        return base.SendAsync(request, cancellationToken);
    }
}
