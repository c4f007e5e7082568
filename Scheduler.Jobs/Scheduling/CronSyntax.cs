using System.Text.RegularExpressions;
using Quartz;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// Reads a cron expression an operator wrote, in Quartz's form (six or seven fields, seconds first) or the
/// classic five-field crontab form, and answers the Quartz expression that says the same thing, or why
/// there is none. Quartz's own parser decides validity; this only adds the reasons it does not give.
/// </summary>
public static partial class CronSyntax
{
    public const int MaxLength = 200;

    private static readonly string[] QuartzFieldNames = ["seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year"];
    private static readonly string[] UnixFieldNames = ["minute", "hour", "day-of-month", "month", "day-of-week"];

    // Each field is tried on its own inside an expression that is otherwise valid, to name the one at fault.
    private static readonly string[] QuartzProbe = ["0", "0", "0", "?", "*", "?", "*"];
    private static readonly string[] UnixProbe = ["0", "0", "*", "*", "*"];

    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// Validates <paramref name="input"/> and answers its canonical Quartz spelling: whitespace collapsed,
    /// day and month names upper-cased, <c>@daily</c>-style macros expanded, and a five-field crontab
    /// expression rewritten seconds first with its 0-7 day-of-week numbers (0 and 7 both Sunday) renamed
    /// (<c>*/15 * * * *</c> → <c>0 */15 * * * ?</c>, <c>0 9 * * 1-5</c> → <c>0 0 9 ? * MON-FRI</c>).
    /// </summary>
    /// <remarks>
    /// When both day fields name days, Quartz 4.7 fires on either, which is what crontab means by
    /// <c>0 0 1 * 1</c> (the 1st and every Monday), so that is accepted. Crontab reads the two as
    /// "both" instead when one of them starts with <c>*</c> (<c>*/2</c>), which Quartz cannot say; that is
    /// refused. Never throws.
    /// </remarks>
    /// <param name="input">The expression as written.</param>
    /// <param name="quartzCron">The Quartz expression, or <c>""</c> when the input is refused.</param>
    /// <param name="error">Why the input is refused, naming the field at fault; <see langword="null"/> when accepted.</param>
    public static bool TryNormalize(string? input, out string quartzCron, out string? error)
    {
        quartzCron = "";
        error = Check(input, out var normalized);
        if (error is not null)
        {
            return false;
        }

        quartzCron = normalized;
        return true;
    }

    private static string? Check(string? input, out string normalized)
    {
        normalized = "";
        if (string.IsNullOrWhiteSpace(input))
        {
            return "A cron expression is required, e.g. '0 0/15 * * * ?' (Quartz, seconds first) or '*/15 * * * *' (crontab).";
        }

        if (input.Length > MaxLength)
        {
            return $"The cron expression is {input.Length} characters long; at most {MaxLength} are accepted.";
        }

        var fields = input.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var expression = string.Join(' ', fields);
        switch (fields.Length)
        {
            case 1 when fields[0].StartsWith('@'):
                // Quartz's refusal lists the macros it knows.
                return Parse(expression, CronFormat.Quartz, out normalized, out _) is { } macroError ? $"{macroError}." : null;

            case 5:
                return CheckUnix(fields) ?? ParseAndCheck(fields, CronFormat.Unix, out normalized);

            case 6 or 7:
                return CheckWildcardSeconds(fields) ?? ParseAndCheck(fields, CronFormat.Quartz, out normalized);

            default:
                return $"'{expression}' has {fields.Length} field{(fields.Length == 1 ? "" : "s")}; a cron expression has 5 " +
                    "(crontab: minute hour day-of-month month day-of-week, e.g. '*/15 * * * *') or 6 to 7 " +
                    "(Quartz: seconds minutes hours day-of-month month day-of-week [year], e.g. '0 0/15 * * * ?').";
        }
    }

    private static string? ParseAndCheck(string[] fields, CronFormat format, out string normalized)
    {
        var expression = string.Join(' ', fields);
        if (Parse(expression, format, out normalized, out var parsed) is { } parserMessage)
        {
            return Diagnose(fields, format) ?? $"'{expression}' is not a valid cron expression: {parserMessage}";
        }

        // Quartz accepts dates no calendar has (30 February); such a trigger would be refused when scheduled.
        if (parsed!.WithTimeZone(TimeZoneInfo.Utc).GetNextValidTimeAfter(Epoch) is null)
        {
            normalized = "";
            return $"'{expression}' never fires: no date matches its day, month and year fields together.";
        }

        return null;
    }

    private static string? Parse(string expression, CronFormat format, out string normalized, out CronExpression? parsed)
    {
        normalized = "";
        parsed = null;
        try
        {
            parsed = CronExpression.Parse(expression, format);
            normalized = parsed.CronExpressionString;
            return null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return ex.Message.TrimEnd('.');
        }
    }

    /// <summary>The first field that is refused on its own, with Quartz's reason; null when only the combination is.</summary>
    private static string? Diagnose(string[] fields, CronFormat format)
    {
        var unix = format == CronFormat.Unix;
        var names = unix ? UnixFieldNames : QuartzFieldNames;
        for (var i = 0; i < fields.Length; i++)
        {
            var probe = (unix ? UnixProbe : QuartzProbe)[..Math.Max(unix ? 5 : 6, i + 1)];
            probe[i] = fields[i];
            if (Parse(string.Join(' ', probe), format, out _, out _) is not { } message)
            {
                continue;
            }

            var reason = HashToken().IsMatch(fields[i])
                ? "H (hash) tokens are not accepted here; write the values out"
                : message.StartsWith("Illegal cron expression format (", StringComparison.Ordinal)
                    ? "it is not a value, a range (a-b), a list (a,b) or a step (a/n) this field accepts"
                    : message;
            return $"The {names[i]} field '{fields[i]}' is not valid: {reason}.";
        }

        return null;
    }

    /// <summary>
    /// Crontab fires on either day field when both name days, but on both when one starts with '*':
    /// <c>0 9 */2 * 1</c> is odd-numbered days that are Mondays. Quartz only has "either".
    /// </summary>
    private static string? CheckUnix(string[] fields)
    {
        var dayOfMonth = fields[2];
        var dayOfWeek = fields[4];
        if (Unrestricted(dayOfMonth) || Unrestricted(dayOfWeek))
        {
            return null;
        }

        if (dayOfMonth.StartsWith('*') || dayOfWeek.StartsWith('*'))
        {
            return $"The day-of-month field '{dayOfMonth}' and the day-of-week field '{dayOfWeek}' both name days and one starts " +
                "with '*', which crontab reads as days matching both; Quartz can only fire on days matching either. " +
                "Restrict one day field and leave the other '*'.";
        }

        return null;

        static bool Unrestricted(string field) => field is "*" or "?";
    }

    /// <summary>'* */5 * ? * *' fires every second of every fifth minute; once every five minutes was meant.</summary>
    private static string? CheckWildcardSeconds(string[] fields)
    {
        if (fields[0] != "*" || (fields[1] == "*" && fields[2] == "*"))
        {
            return null;
        }

        var suggestion = string.Join(' ', ["0", .. fields[1..]]);
        return $"The seconds field '*' fires every second of each minute the minutes and hours fields name; " +
            $"for once a minute write '{suggestion}' (seconds at 0), or '0-59' for every second on purpose.";
    }

    // H, H/15 or H(0-29) in a field; the H in THU is a day name.
    [GeneratedRegex(@"(?<![A-Za-z])H(?![A-Za-z])", RegexOptions.IgnoreCase)]
    private static partial Regex HashToken();
}
