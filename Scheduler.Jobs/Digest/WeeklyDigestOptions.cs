using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Digest;

/// <summary>Settings of <c>weekly_digest</c>, from <c>Jobs:weekly_digest</c> (<see cref="WeeklyDigestType"/>).</summary>
public sealed class WeeklyDigestOptions
{
    /// <summary>Users asked of the user service per page.</summary>
    [Range(1, 1000)]
    public int UserPageSize { get; set; } = 100;

    /// <summary>Messages posted to the email service per batch.</summary>
    [Range(1, 500)]
    public int EmailBatchSize { get; set; } = 50;

    /// <summary>Recommendations asked for, and listed, per user.</summary>
    [Range(1, 50)]
    public int RecommendationsPerUser { get; set; } = 5;

    [Required]
    [StringLength(200, MinimumLength = 1)]
    public string Subject { get; set; } = "Your weekly picks";

    /// <summary>The email service's template name.</summary>
    [Required]
    [StringLength(100, MinimumLength = 1)]
    public string Template { get; set; } = "weekly_digest";
}
