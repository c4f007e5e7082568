using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Scheduler.Contracts.Api;

/// <summary>Text without U+0000, which PostgreSQL's text and jsonb cannot hold.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NoNulAttribute() : ValidationAttribute("Must not contain U+0000.")
{
    /// <inheritdoc />
    public override bool IsValid(object? value) => value is not string text || !text.Contains('\0', StringComparison.Ordinal);
}

/// <summary>
/// Trigger parameters PostgreSQL's jsonb can store and the service accepts: null or a JSON object, nested at most
/// <see cref="MaxDepth"/> levels, at most <see cref="MaxBytes"/> bytes, names and strings valid Unicode without
/// U+0000, number exponents within ±1000.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class StorableParametersAttribute : ValidationAttribute
{
    /// <summary>How deep parameters may nest.</summary>
    public const int MaxDepth = 5;

    /// <summary>How large parameters may be, as JSON.</summary>
    public const int MaxBytes = 8 * 1024;

    /// <inheritdoc />
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        return value is JsonElement parameters && Problem(parameters) is { } problem
            ? new ValidationResult(problem, validationContext.MemberName is { } member ? [member] : null)
            : ValidationResult.Success;
    }

    private static string? Problem(JsonElement parameters)
    {
        if (parameters.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }

        if (parameters.ValueKind is not JsonValueKind.Object)
        {
            return "Must be a JSON object.";
        }

        if (Depth(parameters) > MaxDepth)
        {
            return $"Nested at most {MaxDepth} levels deep.";
        }

        if (!Storable(parameters))
        {
            return "Names and strings must be valid Unicode without U+0000; number exponents within ±1000.";
        }

        return Encoding.UTF8.GetByteCount(parameters.GetRawText()) > MaxBytes ? $"At most {MaxBytes} bytes of JSON." : null;
    }

    // GetString throws on invalid UTF-8 and on escapes that are not valid UTF-16.
    private static bool Storable(JsonElement element)
    {
        try
        {
            return element.ValueKind switch
            {
                JsonValueKind.Object => element.EnumerateObject().All(p => !HoldsNul(p.Name) && Storable(p.Value)),
                JsonValueKind.Array => element.EnumerateArray().All(Storable),
                JsonValueKind.String => !HoldsNul(element.GetString()),
                JsonValueKind.Number => ExponentWithinPostgresRange(element.GetRawText()),
                _ => true,
            };
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool HoldsNul(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal);

    private static bool ExponentWithinPostgresRange(string number)
    {
        var at = number.AsSpan().IndexOfAny('e', 'E');
        return at < 0 || (int.TryParse(number.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
            && exponent is >= -1000 and <= 1000);
    }

    private static int Depth(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };
}
