using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;

namespace Scheduler.Contracts.Api;

/// <summary>
/// When a run asked for later is due: <c>runAt</c> (an ISO 8601 instant with an offset) or <c>delay</c> (an ISO 8601
/// duration), never both, in the future and at most a horizon ahead.
/// </summary>
public static partial class RunLater
{
    /// <summary>The longest <c>runAt</c> or <c>delay</c> text read.</summary>
    public const int MaxTextLength = 64;

    /// <summary>
    /// The due instant <paramref name="runAt"/> or <paramref name="delay"/> name (null when neither is given), or the
    /// problems, keyed by field, when they are malformed, together, in the past or beyond <paramref name="horizon"/>.
    /// </summary>
    public static DateTimeOffset? Resolve(string? runAt, string? delay, DateTimeOffset now, TimeSpan horizon, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var limit = $"at most {Describe(horizon)} ahead (Runs:MaxDelay)";
        if (runAt is not null && delay is not null)
        {
            errors["runAt"] = ["Give runAt or delay, not both."];
            errors["delay"] = ["Give runAt or delay, not both."];
            return null;
        }

        if (runAt is not null)
        {
            if (!TryParseInstant(runAt, out var at))
            {
                errors["runAt"] = ["Must be an ISO 8601 instant with an offset, e.g. 2026-12-01T09:30:00Z or 2026-12-01T10:30:00+01:00."];
                return null;
            }

            if (at <= now)
            {
                errors["runAt"] = [$"Must be in the future (it is {now.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} now)."];
                return null;
            }

            if (at - now > horizon)
            {
                errors["runAt"] = [$"Must be {limit}."];
                return null;
            }

            return at.ToUniversalTime();
        }

        if (delay is not null)
        {
            if (!TryParseDuration(delay, out var after))
            {
                errors["delay"] = ["Must be an ISO 8601 duration, e.g. PT30S, PT15M or P1DT2H (days, hours, minutes, seconds)."];
                return null;
            }

            if (after <= TimeSpan.Zero)
            {
                errors["delay"] = ["Must be longer than zero."];
                return null;
            }

            if (after > horizon)
            {
                errors["delay"] = [$"Must be {limit}."];
                return null;
            }

            return (now + after).ToUniversalTime();
        }

        return null;
    }

    /// <summary>An ISO 8601 instant that names its offset (<c>Z</c> or <c>±hh:mm</c>): a local time alone is ambiguous.</summary>
    public static bool TryParseInstant(string text, out DateTimeOffset instant)
    {
        instant = default;
        return IsoInstant().IsMatch(text ?? "")
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }

    /// <summary>An ISO 8601 duration such as <c>PT30S</c> (years and months are not fixed lengths and are refused).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (!IsoDuration().IsMatch(text ?? ""))
        {
            return false;
        }

        try
        {
            duration = XmlConvert.ToTimeSpan(text!);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0} days"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0} hours"
        : $"{span.TotalSeconds:0} seconds";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoInstant();

    [GeneratedRegex(@"^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDuration();
}
