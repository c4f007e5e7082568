using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.Digest;

/// <summary><c>weekly_digest</c> as the catalog lists it; settings in <see cref="WeeklyDigestOptions"/>.</summary>
public static class WeeklyDigestType
{
    public static JobParameter<WeeklyDigestOptions> RecommendationsPerUser { get; } =
        new("recommendationsPerUser", "Recommendations in each digest.", o => o.RecommendationsPerUser);

    public static WorkflowType Definition { get; } = new WorkflowType<WeeklyDigestJob, WeeklyDigestOptions>
    {
        Name = JobTypes.WeeklyDigest,
        Description = "Mails each active user with the digest enabled their recommendations, at most once per ISO week.",
        Cron = "0 0 9 ? * MON",
        Timeout = TimeSpan.FromHours(2),
        // A digest that could not go out by mid-afternoon waits for next week rather than arriving at night.
        MisfireGrace = TimeSpan.FromHours(6),
        Services = [ServiceNames.User, ServiceNames.Discovery, ServiceNames.Email],
        Parameters = [RecommendationsPerUser],
    };
}
