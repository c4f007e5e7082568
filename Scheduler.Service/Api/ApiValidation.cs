using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Service.Api;

/// <summary>How query-string text becomes values: strictly, so that what the checks below accept is what is read.</summary>
internal static partial class QueryValues
{
    /// <summary>The value, or null when absent or empty.</summary>
    public static string? Given(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>ASCII digits only: no sign, no exponent, no other scripts' digits.</summary>
    public static int? WholeNumber(string? text) =>
        int.TryParse(Given(text), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>An ISO 8601 date or timestamp, UTC when no offset is given.</summary>
    public static DateTimeOffset? Timestamp(string? text) =>
        Given(text) is { } given && Iso8601().IsMatch(given)
            && DateTimeOffset.TryParse(given, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : null;

    public static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex Iso8601();
}

/// <summary>A whole number from <paramref name="minimum"/> to <paramref name="maximum"/>, in ASCII digits.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class WholeNumberAttribute(int minimum, int maximum)
    : ValidationAttribute($"Must be a whole number from {minimum} to {maximum}.")
{
    public override bool IsValid(object? value) =>
        QueryValues.Given(value as string) is null || QueryValues.WholeNumber((string)value!) is { } number && number >= minimum && number <= maximum;
}

/// <summary>An ISO 8601 date or timestamp such as 2025-10-09 or 2025-10-09T12:34:56Z.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class QueryTimestampAttribute()
    : ValidationAttribute("Must be an ISO 8601 date or timestamp, e.g. 2025-10-09 or 2025-10-09T12:34:56Z.")
{
    public override bool IsValid(object? value) => QueryValues.Given(value as string) is null || QueryValues.Timestamp((string)value!) is not null;
}

/// <summary>Free text of at most 200 characters.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class QueryTextAttribute() : StringLengthAttribute(MaxLength)
{
    public const int MaxLength = 200;

    public override string FormatErrorMessage(string name) => $"At most {MaxLength} characters.";
}

/// <summary>One of a known set of names; the error lists them.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal abstract class OneOfAttribute(string what, string whatPlural) : ValidationAttribute
{
    protected abstract IReadOnlyCollection<string> Valid(ValidationContext context);

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var valid = Valid(validationContext);
        return QueryValues.Given(value as string) is not { } given || valid.Contains(given)
            ? ValidationResult.Success
            : new ValidationResult($"Unknown {what} '{QueryValues.Shorten(given)}'. Valid {whatPlural}: {string.Join(", ", valid)}.",
                validationContext.MemberName is { } member ? [member] : null);
    }
}

internal sealed class JobTypeNameAttribute() : OneOfAttribute("job type", "types")
{
    protected override IReadOnlyCollection<string> Valid(ValidationContext context) => context.GetRequiredService<JobCatalog>().Names;
}

internal sealed class ExecutionStatusNameAttribute() : OneOfAttribute("status", "statuses")
{
    protected override IReadOnlyCollection<string> Valid(ValidationContext context) => EnumText.All<ExecutionStatus>();
}

internal sealed class AuditActionNameAttribute() : OneOfAttribute("action", "actions")
{
    protected override IReadOnlyCollection<string> Valid(ValidationContext context) => AuditActions.All;
}

/// <summary>An <c>Idempotency-Key</c>: 1 to 200 visible ASCII characters.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
internal sealed class IdempotencyKeyAttribute() : ValidationAttribute($"1 to {MaxLength} visible ASCII characters.")
{
    public const string Header = "Idempotency-Key";
    private const int MaxLength = 200;

    public override bool IsValid(object? value) =>
        value is not string key || (key.Length is > 0 and <= MaxLength && key.All(c => c is >= '!' and <= '~'));
}
