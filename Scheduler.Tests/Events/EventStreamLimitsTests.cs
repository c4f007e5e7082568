using System.Net;
using System.Text.Json;
using FluentAssertions;
using Scheduler.Service.Auth;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Events;

/// <summary>Event streams are capped per caller and per node, and end with the caller's token.</summary>
public sealed class EventStreamLimitsTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Events:MaxStreamsPerCaller"] = "2",
        ["Events:MaxStreamsPerNode"] = "3",
        ["Events:RetryAfter"] = "00:00:07",
    };

    [Test]
    public async Task StreamsBeyondTheCallersCap_Answer429_BeyondTheNodesCap_Answer503_AndAClosedStreamFreesItsPlace()
    {
        using var first = await OpenAsync("limits-a");
        using var second = await OpenAsync("limits-a");
        using var thirdOfA = await OpenAsync("limits-a");
        using var ofB = await OpenAsync("limits-b");
        using var ofC = await OpenAsync("limits-c");

        first.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        second.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        ofB.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        await ShouldBeRefusedAsync(thirdOfA.Response, HttpStatusCode.TooManyRequests, "per caller");
        await ShouldBeRefusedAsync(ofC.Response, HttpStatusCode.ServiceUnavailable, "per node");

        first.Dispose();
        var attempts = new List<OpenStream>();
        try
        {
            await Eventually.Until(async () =>
            {
                attempts.Add(await OpenAsync("limits-c"));
                return attempts[^1].Response.StatusCode;
            }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "a place freed by a closed stream");
        }
        finally
        {
            attempts.ForEach(a => a.Dispose());
        }
    }

    [Test]
    public async Task AStream_EndsWhenItsTokenExpires_AndAnExpiredTokenIsRefused()
    {
        using var http = Service.CreateClient(TestTokens.Mint("limits-expiring", [Caller.ReaderRole], d => d.Expires = DateTime.UtcNow.AddSeconds(3)));
        await using var stream = SseClient.Open(http);
        await stream.Ended.WaitAsync(TimeSpan.FromSeconds(20));

        using var expired = Service.CreateClient(TestTokens.Mint("limits-expired", [Caller.ReaderRole], d => d.Expires = DateTime.UtcNow.AddSeconds(-5)));
        using var refused = await expired.GetAsync("/api/jobs/events", HttpCompletionOption.ResponseHeadersRead);
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "within the validation's clock skew the token passes, but a stream would end at once");
        refused.Headers.WwwAuthenticate.ToString().Should().Contain("invalid_token");
    }

    private async Task<OpenStream> OpenAsync(string caller)
    {
        var http = Service.CreateClient(TestTokens.Mint(caller, [Caller.ReaderRole]));
        return new OpenStream(http, await http.GetAsync("/api/jobs/events", HttpCompletionOption.ResponseHeadersRead));
    }

    /// <summary>A stream as its client holds it; disposing it drops the connection.</summary>
    private sealed record OpenStream(HttpClient Client, HttpResponseMessage Response) : IDisposable
    {
        public void Dispose()
        {
            Response.Dispose();
            Client.Dispose();
        }
    }

    private static async Task ShouldBeRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string why)
    {
        response.StatusCode.Should().Be(status, why);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        response.Headers.RetryAfter?.Delta.Should().Be(TimeSpan.FromSeconds(7));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("status").GetInt32().Should().Be((int)status);
    }
}
