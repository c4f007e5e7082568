using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The discovery service's and the crawler's data.</summary>
public sealed partial class StandInState
{
    private const int DefaultRecommendationCount = 3;
    private const int DefaultViewCountsUpdated = 42;
    private const int DefaultTrendingUpdated = 17;

    private readonly List<Discovery> _pending = [];
    private readonly HashSet<string> _failing = [];
    private readonly Dictionary<string, int> _recommendationCounts = new(StringComparer.Ordinal);
    private int _viewCountsUpdated = DefaultViewCountsUpdated;
    private int _trendingUpdated = DefaultTrendingUpdated;

    /// <summary>What <c>POST /api/discoveries/view-counts/refresh</c> reports as updated (default 42).</summary>
    public int ViewCountsUpdated
    {
        get { lock (_gate) { return _viewCountsUpdated; } }
        set { lock (_gate) { _viewCountsUpdated = value; } }
    }

    /// <summary>What <c>POST /api/discoveries/trending/recalculate</c> reports as updated (default 17).</summary>
    public int TrendingUpdated
    {
        get { lock (_gate) { return _trendingUpdated; } }
        set { lock (_gate) { _trendingUpdated = value; } }
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

    /// <summary>Gives <paramref name="userId"/> <paramref name="count"/> recommendations instead of the default 3 (0 for none).</summary>
    public void SetRecommendations(string userId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _recommendationCounts[userId] = count;
        }
    }

    /// <summary>The user's recommendations, <c>rec-{userId}-{i}</c> from 1, at most <paramref name="limit"/> (all when null).</summary>
    public RecommendationList Recommendations(string userId, int? limit = null)
    {
        int count;
        lock (_gate)
        {
            count = _recommendationCounts.GetValueOrDefault(userId, DefaultRecommendationCount);
        }

        var shown = Math.Max(0, Math.Min(count, limit ?? count));
        return new RecommendationList([.. Enumerable.Range(1, shown).Select(i => new Recommendation(
            $"rec-{userId}-{i}", $"Article {i} for {userId}", $"https://example.org/rec/{userId}/{i}"))]);
    }

    private void ResetDiscovery()
    {
        _pending.Clear();
        _failing.Clear();
        _recommendationCounts.Clear();
        _viewCountsUpdated = DefaultViewCountsUpdated;
        _trendingUpdated = DefaultTrendingUpdated;
    }
}
