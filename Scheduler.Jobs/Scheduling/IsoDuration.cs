using System.Globalization;
using System.Text.RegularExpressions;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// ISO 8601 durations of fixed length: weeks, days, hours, minutes and seconds (<c>PT2S</c>, <c>PT15M</c>, <c>P1DT12H</c>,
/// <c>P2W</c>). Years and months have no fixed length and are refused.
/// </summary>
public static partial class IsoDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 40 || Shape().Match(text) is not { Success: true } match || text is "P" or "PT" || text.EndsWith('T'))
        {
            return false;
        }

        double Part(string group) => match.Groups[group].Success ? double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = (Part("w") * 7 * 86400) + (Part("d") * 86400) + (Part("h") * 3600) + (Part("m") * 60) + Part("s");
        if (seconds > TimeSpan.FromDays(3650).TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(Math.Round(seconds * 1000));
        return true;
    }

    /// <summary>The ISO 8601 spelling of <paramref name="duration"/> (<c>PT1H30M</c>).</summary>
    public static string Format(TimeSpan duration) => System.Xml.XmlConvert.ToString(duration);

    [GeneratedRegex(@"^P(?:(?<w>\d{1,4})W)?(?:(?<d>\d{1,5})D)?(?:T(?:(?<h>\d{1,6})H)?(?:(?<m>\d{1,7})M)?(?:(?<s>\d{1,9}(?:\.\d{1,3})?)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
