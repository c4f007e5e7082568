using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Observability;

/// <summary>
/// The monitoring files in <c>k8s/base/observability</c> and <c>docs/runbook.md</c>, read the way the tests need them:
/// the PrometheusRule's spec as a plain rules file, its alerts, the dashboard's queries, the metric names a query
/// uses, and the runbook's heading anchors.
/// </summary>
public static partial class ObservabilityFiles
{
    public static string Directory => Path.Combine(ServiceProcess.RepositoryRoot, "k8s", "base", "observability");

    public static string PrometheusRulePath => Path.Combine(Directory, "prometheus-rule.yaml");

    public static string AlertTestsPath => Path.Combine(Directory, "tests", "scheduler-alerts.test.yaml");

    public static string DashboardPath => Path.Combine(Directory, "grafana-dashboard.json");

    public static string RunbookPath => Path.Combine(ServiceProcess.RepositoryRoot, "docs", "runbook.md");

    /// <summary>
    /// Every metric the service's scrape, or Prometheus itself, provides to the rules and the dashboard. A name not
    /// here is a typo or a metric nobody exports.
    /// </summary>
    public static IReadOnlySet<string> KnownMetrics { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "scheduler_job_executions_total",
        "scheduler_job_failures_total",
        "scheduler_job_duration_seconds_bucket", "scheduler_job_duration_seconds_sum", "scheduler_job_duration_seconds_count",
        "scheduler_job_running",
        "scheduler_job_last_success_timestamp_seconds",
        "scheduler_job_consecutive_failures",
        "scheduler_job_expected_interval_seconds",
        "scheduler_job_paused",
        "scheduler_job_items_processed_total",
        "scheduler_job_lateness_seconds_bucket", "scheduler_job_lateness_seconds_sum", "scheduler_job_lateness_seconds_count",
        "scheduler_job_skipped_total",
        "scheduler_schedule_invalid",
        "scheduler_lease_lost_total",
        "scheduler_outcomes_waiting",
        "scheduler_stuck_executions",
        "scheduler_job_oldest_running_seconds",
        "scheduler_job_slow_after_seconds",
        "scheduler_job_slow_after_multiple",
        "scheduler_job_failure_rate_threshold",
        "scheduler_runs_overdue_seconds",
        "scheduler_dlq_depth",
        "scheduler_dlq_depth_sampled_timestamp_seconds",
        "dotnet_process_cpu_time_seconds_total",
        "dotnet_process_memory_working_set_bytes",
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "kube_pod_container_status_restarts_total",
        "job_runner_up",
        "job_heartbeat_age_seconds",
        "http_server_request_duration_seconds_bucket", "http_server_request_duration_seconds_sum", "http_server_request_duration_seconds_count",
        "http_client_request_duration_seconds_bucket", "http_client_request_duration_seconds_sum", "http_client_request_duration_seconds_count",
        "db_client_connection_count",
        "db_client_connection_max",
        "quartz_job_execution_duration_seconds_bucket", "quartz_job_execution_duration_seconds_sum", "quartz_job_execution_duration_seconds_count",
        "dotnet_gc_collections_total",
        "up",
    };

    /// <summary>Series Prometheus writes itself for every target; they are never in the service's own /metrics.</summary>
    public static IReadOnlySet<string> WrittenByPrometheus { get; } = new HashSet<string>(StringComparer.Ordinal) { "up" };

    /// <summary>Series of the pod's container that the kubelet (cAdvisor) and kube-state-metrics export; never in the service's own /metrics.</summary>
    public static IReadOnlySet<string> WrittenByKubernetes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "kube_pod_container_status_restarts_total",
    };

    /// <summary>The metric names the alert rules and the dashboard query: what a real scrape (plus <c>up</c>) must contain.</summary>
    public static IReadOnlySet<string> MetricsQueried() =>
        Alerts().Select(a => a.Expr).Concat(DashboardQueries().Select(q => q.Expr)).SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The text after the line <c>spec:</c>, de-indented by two spaces: a plain Prometheus rules file
    /// (<c>groups:</c> …), as <c>promtool</c> and a Prometheus without the Operator read it.
    /// </summary>
    public static string PrometheusRulesText()
    {
        var lines = File.ReadAllLines(PrometheusRulePath);
        var spec = Array.IndexOf(lines, "spec:");
        if (spec < 0)
        {
            throw new InvalidOperationException($"{PrometheusRulePath} has no line that is exactly `spec:`");
        }

        var rules = new StringBuilder();
        foreach (var line in lines.Skip(spec + 1))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                rules.Append('\n');
            }
            else if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                rules.Append(line.AsSpan(2)).Append('\n');
            }
            else
            {
                throw new InvalidOperationException($"{PrometheusRulePath}: a line after `spec:` is not indented under it: {line}");
            }
        }

        return rules.ToString();
    }

    public sealed record AlertRule(string Name, string Expr, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);

    /// <summary>
    /// The alerting rules of <see cref="PrometheusRulesText"/>. A reader for the block style this file is written in
    /// (plain, quoted and block scalars, nested maps), not a general YAML parser; promtool checks the YAML itself.
    /// </summary>
    public static IReadOnlyList<AlertRule> Alerts()
    {
        var lines = PrometheusRulesText().Split('\n');
        var alerts = new List<AlertRule>();
        for (var i = 0; i < lines.Length; i++)
        {
            var start = AlertItem().Match(lines[i]);
            if (!start.Success)
            {
                continue;
            }

            var keyIndent = start.Groups["dash"].Length + 2;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
            Dictionary<string, string>? section = null;
            var j = i + 1;
            while (j < lines.Length && (IsBlankOrComment(lines[j]) || Indent(lines[j]) >= keyIndent))
            {
                var entry = KeyLine().Match(lines[j]);
                if (IsBlankOrComment(lines[j]) || !entry.Success)
                {
                    j++;
                    continue;
                }

                var indent = entry.Groups["indent"].Length;
                var key = entry.Groups["key"].Value;
                var (value, next) = ReadValue(lines, j, indent, entry.Groups["value"].Value);
                if (indent == keyIndent)
                {
                    section = key switch
                    {
                        "labels" => labels,
                        "annotations" => annotations,
                        _ => null,
                    };
                    fields[key] = value;
                }
                else if (section is not null)
                {
                    section[key] = value;
                }

                j = next;
            }

            alerts.Add(new AlertRule(start.Groups["name"].Value, fields.GetValueOrDefault("expr", ""), labels, annotations));
        }

        return alerts;
    }

    public sealed record DashboardQuery(string Panel, string RefId, string Expr);

    /// <summary>Every Prometheus query of the dashboard's panels (rows included), with its panel's title.</summary>
    public static IReadOnlyList<DashboardQuery> DashboardQueries()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var queries = new List<DashboardQuery>();
        Collect(document.RootElement.GetProperty("panels"));
        return queries;

        void Collect(JsonElement panels)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                var title = panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
                if (panel.TryGetProperty("targets", out var targets))
                {
                    foreach (var target in targets.EnumerateArray())
                    {
                        if (target.TryGetProperty("expr", out var expr))
                        {
                            queries.Add(new DashboardQuery(title, target.GetProperty("refId").GetString() ?? "", expr.GetString() ?? ""));
                        }
                    }
                }

                if (panel.TryGetProperty("panels", out var nested))
                {
                    Collect(nested);
                }
            }
        }
    }

    /// <summary>A dashboard query with Grafana's variables replaced, as Prometheus would receive it.</summary>
    public static string WithoutGrafanaVariables(string expr)
    {
        var withIntervals = GrafanaInterval().Replace(expr, "5m");
        return GrafanaVariable().Replace(withIntervals, "x");
    }

    /// <summary>The metric names a PromQL expression selects (not functions, keywords or label names).</summary>
    public static IReadOnlySet<string> MetricNames(string promQl)
    {
        var text = StringLiteral().Replace(promQl, "\"\"");
        text = Matchers().Replace(text, " ");
        text = RangeOrSubquery().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return Identifier().Matches(text)
            .Select(m => m.Value)
            .Where(name => !PromQlKeywords.Contains(name))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The anchors GitHub gives the runbook's headings: lower case, spaces to '-', punctuation other than '-' and '_' dropped; repeats get -1, -2….</summary>
    public static IReadOnlySet<string> RunbookAnchors() => MarkdownAnchors.Of(RunbookPath);

    private static readonly HashSet<string> PromQlKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
    };

    private static (string Value, int Next) ReadValue(string[] lines, int line, int keyIndent, string raw)
    {
        var value = raw.Trim();
        if (value is "|" or "|-" or ">" or ">-")
        {
            var block = new List<string>();
            var next = line + 1;
            while (next < lines.Length && (string.IsNullOrWhiteSpace(lines[next]) || Indent(lines[next]) > keyIndent))
            {
                block.Add(lines[next]);
                next++;
            }

            while (block.Count > 0 && string.IsNullOrWhiteSpace(block[^1]))
            {
                block.RemoveAt(block.Count - 1);
            }

            var margin = block.Where(l => !string.IsNullOrWhiteSpace(l)).Select(Indent).DefaultIfEmpty(0).Min();
            var text = block.Select(l => l.Length >= margin ? l[margin..] : "");
            return (value.StartsWith('|') ? string.Join('\n', text) : string.Join(' ', text.Select(l => l.Trim())), next);
        }

        if (value.StartsWith('\'') && value.EndsWith('\'') && value.Length >= 2)
        {
            return (value[1..^1].Replace("''", "'", StringComparison.Ordinal), line + 1);
        }

        if (value.StartsWith('"') && value.EndsWith('"') && value.Length >= 2)
        {
            return (value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal), line + 1);
        }

        var comment = value.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? value[..comment].TrimEnd() : value, line + 1);
    }

    private static bool IsBlankOrComment(string line) => string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#');

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    [GeneratedRegex(@"^(?<dash>\s*)- alert:\s*(?<name>\S+)\s*$")]
    private static partial Regex AlertItem();

    [GeneratedRegex(@"^(?<indent>\s*)(?<key>[A-Za-z_][A-Za-z0-9_]*):(?:\s+(?<value>.*))?$")]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"\$__(?:rate_interval|interval|range)\b")]
    private static partial Regex GrafanaInterval();

    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    // Atomic, so that a function name is not matched by a shorter prefix of itself.
    [GeneratedRegex(@"(?<![\w:.])(?>[A-Za-z_:][\w:]*)(?!\s*\()")]
    private static partial Regex Identifier();
}
