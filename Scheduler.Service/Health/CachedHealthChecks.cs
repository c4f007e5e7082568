using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Service.Health;

/// <summary>
/// The framework's health check service, answering from its last evaluation for a second: probes that arrive while
/// an evaluation runs, or within a second of its start, share it. <c>/readyz</c> is anonymous, so however many
/// probes come, the database sees about one readiness check a second from each node.
/// </summary>
internal sealed class CachedHealthChecks : HealthCheckService
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly HealthCheckService _inner;
    private readonly TimeProvider _time;
    private readonly Counter<long> _evaluations;
    private readonly ConditionalWeakTable<object, Evaluation> _last = [];
    private readonly Lock _gate = new();

    public CachedHealthChecks(HealthCheckService inner, TimeProvider time, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _inner = inner;
        _time = time;
        _evaluations = meters.Create(SchedulerTelemetry.Name).CreateCounter<long>("scheduler.readiness.evaluations", "{evaluation}",
            "Health evaluations run (each checks the database once); probes answered from the last one are not counted.");
    }

    /// <summary>Replaces the registered <see cref="HealthCheckService"/> with this cache around it.</summary>
    public static void Decorate(IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(HealthCheckService));
        services.Remove(registered);
        services.AddSingleton<HealthCheckService>(sp => new CachedHealthChecks(
            (HealthCheckService)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IMeterFactory>()));
    }

    public override Task<HealthReport> CheckHealthAsync(Func<HealthCheckRegistration, bool>? predicate, CancellationToken cancellationToken = default)
    {
        // Each endpoint passes its own predicate instance, so /readyz and another set of checks are cached apart.
        var key = (object?)predicate ?? this;
        var now = _time.GetUtcNow();
        Task<HealthReport> report;
        lock (_gate)
        {
            if (!_last.TryGetValue(key, out var last) || (last.Report.IsCompleted && now - last.StartedAt >= Freshness))
            {
                last = new Evaluation(now, EvaluateAsync(predicate));
                _last.AddOrUpdate(key, last);
            }

            report = last.Report;
        }

        // One caller giving up does not cancel the evaluation the others wait for (each check has its own timeout).
        return report.WaitAsync(cancellationToken);
    }

    private Task<HealthReport> EvaluateAsync(Func<HealthCheckRegistration, bool>? predicate)
    {
        _evaluations.Add(1);
        return _inner.CheckHealthAsync(predicate, CancellationToken.None);
    }

    private sealed record Evaluation(DateTimeOffset StartedAt, Task<HealthReport> Report);
}
