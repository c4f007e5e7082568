using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Scheduler.Jobs.Telemetry;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Events;

/// <summary>
/// How many event streams this node serves: at most <see cref="EventsOptions.MaxStreamsPerNode"/> in all and
/// <see cref="EventsOptions.MaxStreamsPerCaller"/> per caller, each held for as long as its stream is open. A stream
/// holds no database connection while it waits; the caps bound the replays and the memory the streams take.
/// </summary>
public sealed class EventStreamLimits : IDisposable
{
    private readonly EventsOptions _options;
    private readonly ConcurrencyLimiter _node;
    private readonly PartitionedRateLimiter<string> _perCaller;
    private readonly Counter<long> _refused;

    public EventStreamLimits(IOptions<EventsOptions> options, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _options = options.Value;
        _node = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = _options.MaxStreamsPerNode, QueueLimit = 0 });
        _perCaller = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetConcurrencyLimiter(
            caller, _ => new ConcurrencyLimiterOptions { PermitLimit = _options.MaxStreamsPerCaller, QueueLimit = 0 }));

        var meter = meters.Create(SchedulerTelemetry.Name);
        meter.CreateObservableGauge("scheduler.events.streams",
            () => _options.MaxStreamsPerNode - (int)(_node.GetStatistics()?.CurrentAvailablePermits ?? 0), "{stream}", "Event streams open on this node.");
        _refused = meter.CreateCounter<long>("scheduler.events.streams_refused", "{stream}",
            "Event streams refused: over the node's cap (reason node) or the caller's (reason caller).");
    }

    /// <summary>
    /// Admits the request's stream, or says why not: 429 when its caller holds too many, 503 when the node does. The
    /// admission is held until disposed.
    /// </summary>
    public Admission Admit(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var caller = http.User.Id() ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var callerLease = _perCaller.AttemptAcquire(caller);
        if (!callerLease.IsAcquired)
        {
            callerLease.Dispose();
            return Refuse(http, "caller", StatusCodes.Status429TooManyRequests, "Too many event streams",
                $"At most {_options.MaxStreamsPerCaller} open event streams per caller on this node.");
        }

        var nodeLease = _node.AttemptAcquire();
        if (!nodeLease.IsAcquired)
        {
            nodeLease.Dispose();
            callerLease.Dispose();
            return Refuse(http, "node", StatusCodes.Status503ServiceUnavailable, "This node serves as many event streams as it can",
                $"At most {_options.MaxStreamsPerNode} open event streams per node.");
        }

        return new Admission(null, callerLease, nodeLease);
    }

    public void Dispose()
    {
        _node.Dispose();
        _perCaller.Dispose();
    }

    private Admission Refuse(HttpContext http, string reason, int status, string title, string detail)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
        var seconds = Math.Max(1, (int)Math.Ceiling(_options.RetryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return new Admission(TypedResults.Problem(title: title, detail: $"{detail} Try again in {seconds} s.", statusCode: status), null, null);
    }

    /// <summary>A stream's place (<see cref="Refusal"/> null), or why it has none.</summary>
    public sealed class Admission(IResult? refusal, RateLimitLease? callerLease, RateLimitLease? nodeLease) : IDisposable
    {
        public IResult? Refusal => refusal;

        public void Dispose()
        {
            nodeLease?.Dispose();
            callerLease?.Dispose();
        }
    }
}
