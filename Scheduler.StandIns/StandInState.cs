using System.Collections.Concurrent;
using Scheduler.Contracts.Downstream;

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
public sealed record Fault(int? Status = null, int DelayMs = 0, int? Times = null);

/// <summary>The stand-ins' memory: the data they serve, the faults they inject, the requests they saw.</summary>
public sealed class StandInState
{
    private readonly Lock _gate = new();
    private readonly List<Discovery> _pending = [];
    private readonly HashSet<string> _failing = [];
    private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public IReadOnlyList<ReceivedRequest> RequestsTo(string method, string path) =>
        [.. _requests.Where(r => r.Method == method && r.Path == path)];

    public void Reset()
    {
        lock (_gate)
        {
            _pending.Clear();
            _failing.Clear();
        }

        _faults.Clear();
        _requests.Clear();
    }

    /// <summary>Adds <paramref name="count"/> pending discoveries; every <paramref name="failEvery"/>-th one fails to crawl.</summary>
    public void SeedDiscoveries(int count, int failEvery = 0)
    {
        lock (_gate)
        {
            var start = _pending.Count;
            for (var i = 1; i <= count; i++)
            {
                var id = $"d-{start + i}";
                _pending.Add(new Discovery(id, $"https://example.org/articles/{start + i}", "pending"));
                if (failEvery > 0 && (start + i) % failEvery == 0)
                {
                    _failing.Add(id);
                }
            }
        }
    }

    public DiscoveryList PendingDiscoveries(int limit)
    {
        lock (_gate)
        {
            return new DiscoveryList([.. _pending.Take(limit)], _pending.Count);
        }
    }

    /// <summary>Crawls a batch: every discovery sent leaves the pending list; the failing ones are reported failed.</summary>
    public CrawlBatchResponse Crawl(CrawlBatchRequest batch)
    {
        lock (_gate)
        {
            var results = batch.Discoveries
                .Select(d => _failing.Contains(d.Id)
                    ? new CrawlItemResult(d.Id, false, "fetch failed: 404")
                    : new CrawlItemResult(d.Id, true))
                .ToList();
            var sent = batch.Discoveries.Select(d => d.Id).ToHashSet();
            _pending.RemoveAll(d => sent.Contains(d.Id));
            return new CrawlBatchResponse(results.Count(r => r.Success), results.Count(r => !r.Success), results);
        }
    }

    /// <summary>Makes <c>METHOD path</c> fail or be slow (see <see cref="Fault"/>).</summary>
    public void SetFault(string method, string path, Fault fault) => _faults[$"{method} {path}"] = fault;

    public void ClearFault(string method, string path) => _faults.TryRemove($"{method} {path}", out _);

    internal Fault? TakeFault(string method, string path)
    {
        var key = $"{method} {path}";
        while (_faults.TryGetValue(key, out var fault))
        {
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
