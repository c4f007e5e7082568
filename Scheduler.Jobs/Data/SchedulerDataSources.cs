namespace Scheduler.Jobs.Data;

/// <summary>
/// The node's connection pools. The unkeyed <see cref="Npgsql.NpgsqlDataSource"/> serves API and live-update
/// traffic; the one keyed <see cref="Background"/> serves Quartz's store, run leases and outcomes, heartbeats and
/// supervision, so no amount of API traffic can delay a check-in, a lease renewal or an outcome write; the one keyed
/// <see cref="Listen"/> holds the single connection that LISTENs for events.
/// </summary>
public static class SchedulerDataSources
{
    /// <summary>The service key of the background pool (resolve with <c>[FromKeyedServices(SchedulerDataSources.Background)]</c>).</summary>
    public const string Background = "background";

    /// <summary>The service key of the one-connection source the event relay LISTENs on.</summary>
    public const string Listen = "listen";
}
