using System.Text.Json;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.DeadLetters;

/// <summary>The latest dead-letter depth sample: the result of the newest completed <c>dlq_depth</c> run.</summary>
public sealed class DlqDepthStore(NpgsqlDataSource dataSource)
{
    // idx_scheduled_jobs_completed_recent (job_type, completed_at DESC) WHERE status = 'completed': one index entry.
    private const string LatestSql = """
        SELECT (result -> 'details' -> 'depth')::text AS Depth, completed_at AS SampledAt
          FROM scheduled_jobs
         WHERE job_type = @jobType AND status = 'completed'
         ORDER BY completed_at DESC
         LIMIT 1
        """;

    /// <summary>The newest sample, or null when <c>dlq_depth</c> has never completed (or its result has no depth).</summary>
    public async Task<DlqDepthSample?> LatestAsync(CancellationToken cancellationToken)
    {
        var row = await dataSource.QuerySingleOrDefaultAsync<SampleRow>(LatestSql, new { jobType = JobTypes.DlqDepth }, cancellationToken);
        if (row?.Depth is not { } text || row.SampledAt is not { } at)
        {
            return null;
        }

        using var json = JsonDocument.Parse(text);
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var depth = DeadLetterKinds.Each.ToDictionary(
            kind => kind,
            kind => json.RootElement.TryGetProperty(kind, out var value) && value.TryGetInt64(out var n) ? n : 0,
            StringComparer.Ordinal);
        return new DlqDepthSample(depth, at);
    }

    private sealed record SampleRow(string? Depth, DateTimeOffset? SampledAt);
}

/// <summary>How many dead letters the core API held of each kind (<see cref="DeadLetterKinds.Each"/>) when last sampled.</summary>
public sealed record DlqDepthSample(IReadOnlyDictionary<string, long> Depth, DateTimeOffset SampledAt);
