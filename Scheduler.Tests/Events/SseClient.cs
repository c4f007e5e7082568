using System.Text.Json;
using System.Threading.Channels;

namespace Scheduler.Tests.Events;

/// <summary>A Server-Sent Events reader for the tests: each event as it arrives, with its id, type and JSON data.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly Task _reading;

    private SseClient(HttpClient http, string path, long? lastEventId)
    {
        _reading = ReadAsync(http, path, lastEventId);
    }

    public static SseClient Open(HttpClient http, string path = "/api/jobs/events", long? lastEventId = null) => new(http, path, lastEventId);

    /// <summary>Completes when the server ends the stream (or the client is disposed).</summary>
    public Task Ended => _reading;

    /// <summary>The next event matching <paramref name="match"/>, skipping others; fails after <paramref name="timeout"/>.</summary>
    public async Task<SseEvent> NextAsync(Func<SseEvent, bool> match, TimeSpan timeout, string what)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var next = await _events.Reader.ReadAsync(wait.Token);
                if (match(next))
                {
                    return next;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no event within {timeout.TotalSeconds:0} s: {what}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ReadAsync(HttpClient http, string path, long? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
        long id = 0;
        string type = "message";
        string? data = null;
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    await _events.Writer.WriteAsync(new SseEvent(id, type, JsonDocument.Parse(data).RootElement.Clone()), _stop.Token);
                }

                (type, data) = ("message", null);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }
    }
}

/// <summary>One event: its id, its type (<c>execution</c> or <c>schedule</c>) and its data.</summary>
public sealed record SseEvent(long Id, string Type, JsonElement Data)
{
    public string Kind => Data.GetProperty("kind").GetString()!;

    public Guid? ExecutionId => Type == "execution" ? Data.GetProperty("execution").GetProperty("id").GetGuid() : null;
}
