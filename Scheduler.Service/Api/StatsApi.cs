using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Statistics;

namespace Scheduler.Service.Api;

/// <summary><c>GET /api/jobs/stats</c>: counts, success rate, durations, a series and failure reasons, per type and overall.</summary>
public static class StatsApi
{
    public static RouteGroupBuilder MapJobStats(this RouteGroupBuilder jobs)
    {
        jobs.MapGet("/stats", GetStats)
            .WithName("GetJobStats")
            .ProducesValidationProblem()
            .WithSummary("Executions that ended in [from, to) (default: the last 24 h), per job type and overall: counts per status, success rate, "
                + "p50/p95 (approximate) and max duration, a series of minute, hour or day buckets, and the top 10 failure reasons by normalised error.");
        return jobs;
    }

    public static async Task<Results<Ok<JobStatsReport>, ValidationProblem>> GetStats(
        [AsParameters] StatsQuery query, [AsParameters] StatsServices services, CancellationToken cancellationToken)
    {
        var (catalog, store, time, options) = services;
        var now = time.GetUtcNow();
        var (range, errors) = query.Resolve(now, options.Value);
        if (range?.JobType is { } type && !catalog.Names.Contains(type) && !await store.InHistoryAsync(type, cancellationToken))
        {
            errors["type"] = [$"Unknown job type '{QueryValues.Shorten(type)}': not configured, not defined through the API and not in the history. Known types: {string.Join(", ", catalog.Names)}."];
        }

        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors, title: "The query is invalid")
            : TypedResults.Ok(await store.ReadAsync(range!, now, cancellationToken));
    }
}

/// <summary>What <c>GET /api/jobs/stats</c> reads from.</summary>
public sealed record StatsServices(JobCatalog Catalog, JobStatsStore Store, TimeProvider Time, IOptions<StatsOptions> Options);
