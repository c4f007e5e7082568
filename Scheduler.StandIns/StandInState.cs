using System.Collections.Concurrent;

namespace Scheduler.StandIns;

/// <summary>One request a stand-in received.</summary>
public sealed record ReceivedRequest(
    DateTimeOffset At,
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body)
{
    /// <summary>Set when the caller went away before the answer was written (a cancelled run, a timeout).</summary>
    public bool Aborted { get; internal set; }
}

/// <summary>What a stand-in endpoint should do instead of answering normally.</summary>
/// <param name="Status">Answer with this status code.</param>
/// <param name="DelayMs">Wait this long first (the wait ends early if the caller goes away).</param>
/// <param name="Times">Apply to this many requests, then stop; null for all.</param>
/// <param name="After">Let this many requests through normally first.</param>
public sealed record Fault(int? Status = null, int DelayMs = 0, int? Times = null, int After = 0);

/// <summary>
/// The stand-ins' memory: the data they serve, the faults they inject, the requests they saw.
/// Each service's part lives in its own file (<c>StandInState.Discovery.cs</c>, <c>.Users.cs</c>,
/// <c>.Email.cs</c>, <c>.CoreApi.cs</c>).
/// </summary>
public sealed partial class StandInState
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>The JSON Web Key Set the stand-in OIDC issuer publishes at <c>/oidc/jwks</c>.</summary>
    public string? OidcSigningKeys { get; set; }

    /// <summary>Whether the stand-in OIDC issuer's <c>issuer</c> ends in a slash, as Auth0's does.</summary>
    public bool OidcIssuerEndsWithSlash { get; set; }

    /// <summary>The JSON Web Key Set the stand-in Entra ID publishes at <c>/entra/{tenant}/discovery/v2.0/keys</c>.</summary>
    public string? EntraSigningKeys { get; set; }

    public IReadOnlyList<ReceivedRequest> RequestsTo(string method, string path) =>
        [.. _requests.Where(r => r.Method == method && r.Path == path)];

    /// <summary>Forgets everything: seeded data, overrides, deliveries, faults and requests; counts and credentials go back to their defaults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            ResetDiscovery();
            ResetUsers();
            ResetEmail();
            ResetCoreApi();
        }

        _faults.Clear();
        _requests.Clear();
    }

    /// <summary>Makes <c>METHOD path</c> fail or be slow (see <see cref="Fault"/>).</summary>
    public void SetFault(string method, string path, Fault fault) => _faults[$"{method} {path}"] = fault;

    public void ClearFault(string method, string path) => _faults.TryRemove($"{method} {path}", out _);

    internal Fault? TakeFault(string method, string path)
    {
        var key = $"{method} {path}";
        while (_faults.TryGetValue(key, out var fault))
        {
            if (fault.After > 0)
            {
                if (_faults.TryUpdate(key, fault with { After = fault.After - 1 }, fault))
                {
                    return null;
                }

                continue;
            }

            if (fault.Times is null)
            {
                return fault;
            }

            var remaining = fault.Times.Value - 1;
            var updated = remaining <= 0 ? null : fault with { Times = remaining };
            var replaced = updated is null
                ? _faults.TryRemove(new KeyValuePair<string, Fault>(key, fault))
                : _faults.TryUpdate(key, updated, fault);
            if (replaced)
            {
                return fault;
            }
        }

        return null;
    }

    internal void Record(ReceivedRequest request) => _requests.Enqueue(request);
}
