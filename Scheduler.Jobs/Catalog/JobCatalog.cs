using Scheduler.Contracts;
using Scheduler.Jobs.Crawling;

namespace Scheduler.Jobs.Catalog;

/// <summary>Every job type this service runs. Schedules here are defaults; configuration (<c>Jobs:&lt;type&gt;</c>) overrides them.</summary>
public sealed class JobCatalog
{
    public const string JobGroup = "jobs";
    public const string CronTriggerGroup = "cron";

    private readonly Dictionary<string, JobDefinition> _byName;

    public JobCatalog(IEnumerable<JobDefinition> definitions)
    {
        _byName = definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);
        All = [.. _byName.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];
    }

    /// <summary>The built-in catalog.</summary>
    public static JobCatalog Default { get; } = new(
    [
        new(JobTypes.CrawlPending,
            "Sends pending discoveries to the crawler in batches and counts successes and failures.",
            typeof(CrawlPendingJob),
            DefaultCron: "0 0/15 * * * ?"),
    ]);

    public IReadOnlyList<JobDefinition> All { get; }

    public IEnumerable<string> Names => All.Select(d => d.Name);

    public bool TryGet(string? name, out JobDefinition definition)
    {
        if (name is not null && _byName.TryGetValue(name, out var found))
        {
            definition = found;
            return true;
        }

        definition = null!;
        return false;
    }
}
