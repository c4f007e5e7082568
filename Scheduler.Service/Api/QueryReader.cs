using System.Globalization;
using System.Text.RegularExpressions;

using Scheduler.Jobs.Data;

namespace Scheduler.Service.Api;

/// <summary>
/// Reads a query string strictly for the list endpoints: each parameter at most once, whole numbers in range,
/// ISO 8601 timestamps only, bounded text. Every bad value is collected in <see cref="Errors"/> under its own name.
/// </summary>
internal sealed partial class QueryReader(IQueryCollection query)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    private const int MaxPage = 1_000_000;
    private const int MaxTextLength = 200;

    public Dictionary<string, string[]> Errors { get; } = [];

    /// <summary>Reports every parameter not in <paramref name="known"/>: a misspelt filter must not silently widen the answer.</summary>
    public void RejectUnknown(IReadOnlyCollection<string> known)
    {
        foreach (var name in query.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            Errors[Shorten(name)] = [$"Unknown parameter. Valid parameters: {string.Join(", ", known)}."];
        }
    }

    /// <summary>The parameter's one value, or null when absent or empty.</summary>
    public string? Single(string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            Errors[name] = ["Give this parameter at most once."];
            return null;
        }

        if (values[0] is { } value && value.Any(char.IsControl))
        {
            // PostgreSQL refuses U+0000 in text; no filter value needs a control character.
            Errors[name] = ["Must not contain control characters."];
            return null;
        }

        return string.IsNullOrEmpty(values[0]) ? null : values[0];
    }

    /// <summary>Free text of at most 200 characters.</summary>
    public string? Text(string name)
    {
        var text = Single(name);
        if (text is { Length: > MaxTextLength })
        {
            Errors[name] = [$"At most {MaxTextLength} characters."];
            return null;
        }

        return text;
    }

    /// <summary>One of <paramref name="valid"/>; <paramref name="what"/> and <paramref name="whatPlural"/> name the kind of value in the error.</summary>
    public string? OneOf(string name, IReadOnlyCollection<string> valid, string what, string whatPlural)
    {
        var text = Single(name);
        if (text is not null && !valid.Contains(text))
        {
            Errors[name] = [$"Unknown {what} '{Shorten(text)}'. Valid {whatPlural}: {string.Join(", ", valid)}."];
            return null;
        }

        return text;
    }

    /// <summary><c>from</c> and <c>to</c> as ISO 8601 timestamps (UTC when no offset is given), <c>to</c> later than <c>from</c>.</summary>
    public (DateTimeOffset? From, DateTimeOffset? To) Window()
    {
        var from = Timestamp("from");
        var to = Timestamp("to");
        if (from is not null && to is not null && from >= to)
        {
            Errors["to"] = ["Must be later than 'from'."];
        }

        return (from, to);
    }

    /// <summary>
    /// <c>page</c> (from 1) and <c>limit</c> (1 to 200, default 50), or <c>cursor</c> (a page's <c>nextCursor</c>) instead of
    /// <c>page</c>, for a list whose rows have <paramref name="idKind"/> ids.
    /// </summary>
    public (int Page, int Limit, PageCursor? After) Paging(PageCursorId idKind)
    {
        var page = Integer("page", 1, 1, MaxPage);
        var limit = Integer("limit", DefaultLimit, 1, MaxLimit);
        PageCursor? after = null;
        if (Single("cursor") is { } cursor)
        {
            if (!PageCursor.TryDecode(cursor, idKind, out after))
            {
                Errors["cursor"] = ["Not a cursor this API gave out: pass a page's nextCursor as it came."];
            }
            else if (query.ContainsKey("page"))
            {
                Errors["page"] = ["Give page or cursor, not both."];
            }
        }

        return (page, limit, after);
    }

    private int Integer(string name, int fallback, int min, int max)
    {
        var text = Single(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Errors[name] = [$"Must be a whole number from {min} to {max}."];
            return fallback;
        }

        return value;
    }

    private DateTimeOffset? Timestamp(string name)
    {
        var text = Single(name);
        if (text is null)
        {
            return null;
        }

        if (!Iso8601().IsMatch(text) ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            Errors[name] = ["Must be an ISO 8601 date or timestamp, e.g. 2025-10-09 or 2025-10-09T12:34:56Z."];
            return null;
        }

        return value;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex Iso8601();
}
