using System.ComponentModel.DataAnnotations;
using Quartz;

namespace Scheduler.Jobs.Catalog;

/// <summary>Schedule settings of one job type, from <c>Jobs:&lt;type&gt;</c>.</summary>
public sealed class JobScheduleOptions : IValidatableObject
{
    /// <summary>Quartz cron expression (seconds first). Empty keeps the catalog's default.</summary>
    public string? Cron { get; set; }

    /// <summary>IANA time zone the cron expression is read in.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Whether the cron trigger exists. False leaves the type available for manual runs only.</summary>
    public bool Scheduled { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Cron) && !CronExpression.TryParse(Cron, out _))
        {
            yield return new ValidationResult("is not a valid Quartz cron expression.", [nameof(Cron)]);
        }

        if (!string.IsNullOrWhiteSpace(TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            yield return new ValidationResult("is not a known IANA time zone.", [nameof(TimeZone)]);
        }
    }

    public string EffectiveCron(JobDefinition definition) =>
        string.IsNullOrWhiteSpace(Cron) ? definition.DefaultCron : Cron;

    public string EffectiveTimeZone(JobDefinition definition) =>
        string.IsNullOrWhiteSpace(TimeZone) ? definition.DefaultTimeZone : TimeZone;
}
