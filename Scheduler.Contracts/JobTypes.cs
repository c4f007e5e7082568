namespace Scheduler.Contracts;

/// <summary>The names of the job types the scheduler runs, as they appear in <c>scheduled_jobs.job_type</c>.</summary>
public static class JobTypes
{
    /// <summary>Sends pending discoveries to the crawler in batches.</summary>
    public const string CrawlPending = "crawl_pending";
}
