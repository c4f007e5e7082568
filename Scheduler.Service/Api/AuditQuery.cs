using System.Globalization;
using System.Text.RegularExpressions;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;

namespace Scheduler.Service.Api;

/// <summary>The query string of <c>GET /api/audit</c>, parsed strictly: every bad value is reported by name.</summary>
internal sealed partial record AuditQuery(AuditFilter Filter, int Page, int Limit)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    private const int MaxPage = 1_000_000;
    private const int MaxTextLength = 200;

    private static readonly string[] Known = ["action", "actor", "jobType", "targetId", "from", "to", "page", "limit"];

    public static bool TryParse(IQueryCollection query, out AuditQuery result, out Dictionary<string, string[]> errors)
    {
        errors = [];
        // A misspelt filter would otherwise widen the answer silently: an audit query that says
        // "acton=job.cancel" must not come back with every action.
        foreach (var name in query.Keys.Where(k => !Known.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            errors[Shorten(name)] = [$"Unknown parameter. Valid parameters: {string.Join(", ", Known)}."];
        }

        var action = Single(query, "action", errors);
        if (action is not null && !AuditActions.All.Contains(action))
        {
            errors["action"] = [$"Unknown action '{Shorten(action)}'. Valid actions: {string.Join(", ", AuditActions.All)}."];
        }

        var actor = Text(query, "actor", errors);
        var jobType = Text(query, "jobType", errors);
        var targetId = Text(query, "targetId", errors);

        var from = Timestamp(query, "from", errors);
        var to = Timestamp(query, "to", errors);
        if (from is not null && to is not null && from >= to)
        {
            errors["to"] = ["Must be later than 'from'."];
        }

        var page = Integer(query, "page", 1, 1, MaxPage, errors);
        var limit = Integer(query, "limit", DefaultLimit, 1, MaxLimit, errors);

        result = new AuditQuery(new AuditFilter(action, actor, jobType, targetId, from, to), page, limit);
        return errors.Count == 0;
    }

    private static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            errors[name] = ["Give this parameter at most once."];
            return null;
        }

        return string.IsNullOrEmpty(values[0]) ? null : values[0];
    }

    private static string? Text(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var text = Single(query, name, errors);
        if (text is { Length: > MaxTextLength })
        {
            errors[name] = [$"At most {MaxTextLength} characters."];
            return null;
        }

        return text;
    }

    private static int Integer(IQueryCollection query, string name, int fallback, int min, int max, Dictionary<string, string[]> errors)
    {
        var text = Single(query, name, errors);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors[name] = [$"Must be a whole number from {min} to {max}."];
            return fallback;
        }

        return value;
    }

    private static DateTimeOffset? Timestamp(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var text = Single(query, name, errors);
        if (text is null)
        {
            return null;
        }

        if (!Iso8601().IsMatch(text) ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            errors[name] = ["Must be an ISO 8601 date or timestamp, e.g. 2025-10-09 or 2025-10-09T12:34:56Z."];
            return null;
        }

        return value;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex Iso8601();
}
