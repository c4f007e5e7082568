using System.Text.RegularExpressions;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// Which part of the service a <c>pg_stat_statements</c> row comes from, by its text. pg_stat_statements replaces
/// literals with <c>$n</c>, so the patterns match tables and column lists, never values. The first match wins.
/// </summary>
internal static class StatementSources
{
    public const string Other = "other";

    private static readonly (string Source, Regex Pattern)[] Map =
    [
        ("transaction control (BEGIN/COMMIT)", Text(@"^(begin|commit|rollback|start transaction|savepoint|release)\b")),
        ("connection reset (DISCARD ALL)", Text(@"^discard\b")),
        ("Quartz", Text(@"\bqrtz_")),
        ("statistics (rollup, API reads)", Text(@"\bjob_stats_")),
        ("API: pending row", Text(@"^insert into scheduled_jobs\b.*\bidempotency_key\b")),
        ("API: audit", Text(@"\baudit_log\b")),
        // Before the log flush: an outcome may carry the run's last log lines in the same statement.
        ("outcomes (with the type's health)", Text(@"\bupdate scheduled_jobs\b.*\bcompleted_at =")),
        ("log flush", Text(@"\bexecution_logs\b")),
        ("event relay", Text(@"\bscheduler_events\b")),
        ("progress", Text(@"\bexecution_progress\b|\bset progress =")),
        ("lease renewals", Text(@"^update scheduled_jobs\b.*\bunnest\(")),
        ("claims", Text(@"^update scheduled_jobs\b.*\bset status = [^,]+, started_at =|^insert into scheduled_jobs\b.*\blease_token\b")),
        ("count folding", Text(@"\bscheduled_jobs_count_deltas\b|\bscheduled_jobs_counts\b")),
        ("job_heartbeats", Text(@"\bjob_heartbeats\b")),
        ("recovery checks", Text(@"\bretry_of\b")),
    ];

    /// <summary>Every source in the table's order, <see cref="Other"/> last.</summary>
    public static IEnumerable<string> All => Map.Select(m => m.Source).Append(Other);

    public static string Of(string query)
    {
        var flat = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        foreach (var (source, pattern) in Map)
        {
            if (pattern.IsMatch(flat))
            {
                return source;
            }
        }

        return Other;
    }

    /// <summary>Calls per source, in the table's order, sources with no calls left out.</summary>
    public static IReadOnlyList<(string Source, long Calls)> Group(IEnumerable<(string Query, long Calls)> statements)
    {
        var calls = statements.GroupBy(s => Of(s.Query)).ToDictionary(g => g.Key, g => g.Sum(s => s.Calls), StringComparer.Ordinal);
        return [.. All.Where(calls.ContainsKey).Select(source => (source, calls[source]))];
    }

    private static Regex Text(string pattern) => new(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);
}
