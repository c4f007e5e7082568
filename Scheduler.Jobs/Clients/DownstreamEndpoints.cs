namespace Scheduler.Jobs.Clients;

/// <summary>The downstream services as configured (<c>Services:&lt;name&gt;</c>), for checks made after start-up.</summary>
public sealed class DownstreamEndpoints(IReadOnlyDictionary<string, ServiceEndpoint> endpoints)
{
    /// <summary>The service's canonical name (<see cref="ServiceNames"/>) for <paramref name="name"/> in any case; null when there is none.</summary>
    public static string? Canonical(string? name) =>
        ServiceNames.All.FirstOrDefault(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Why a job type named <paramref name="caller"/> could not call <paramref name="service"/> now (its settings are missing); null when it can.</summary>
    public string? Unusable(string service, string caller) =>
        DownstreamClients.Requirements(service, endpoints[service], [caller]).FirstOrDefault();
}
