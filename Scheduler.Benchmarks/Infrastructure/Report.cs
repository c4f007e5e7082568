using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// The run's figures: printed as they come, and written (after every scenario, so a failed run keeps what it
/// measured) to <c>benchmarks.md</c> for people and <c>benchmarks.json</c> for tools.
/// </summary>
internal sealed class Report(BenchOptions options, Machine machine, string commit, QuartzSettings serviceQuartz)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly List<ReportSection> _sections = [];
    private readonly List<GoalResult> _goals = [];
    private readonly List<(string Name, string Value)> _summary = [];
    private readonly List<(string Scenario, long Deadlocks)> _deadlocks = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    /// <summary>Runs one scenario into its own section; a scenario that throws is reported failed, and the run goes on.</summary>
    public async Task RunSectionAsync(string key, string title, Func<ReportSection, Task> measure)
    {
        var section = Section(key, title);
        try
        {
            await measure(section);
        }
        catch (Exception ex)
        {
            section.Failed(ex);
        }
    }

    public ReportSection Section(string key, string title)
    {
        var section = new ReportSection(key, title);
        _sections.Add(section);
        Print($"== {title}");
        return section;
    }

    /// <summary>
    /// One of the issue's goals. The ratio is measured ÷ target: at most 1 meets an upper bound,
    /// at least 1 meets a lower bound (<paramref name="higherIsBetter"/>).
    /// </summary>
    public void Goal(string goal, string target, double measured, double targetValue, string unit, bool higherIsBetter, string settings, string? note = null)
    {
        // A target of 0 has no ratio: it is met by 0 (ratio shown as 0) and missed by anything else.
        var ratio = targetValue == 0 ? (measured == 0 ? 0 : double.PositiveInfinity) : measured / targetValue;
        var met = !double.IsNaN(measured) && (higherIsBetter ? ratio >= 1 : ratio <= 1);
        var result = new GoalResult(goal, target, Format(measured, unit), ratio, met, settings, note);
        _goals.Add(result);
        Print($"goal {goal}: {result.Measured} vs {target} → ratio {ratio:0.00} {(met ? "met" : "MISSED")}");
    }

    /// <summary>
    /// One line of the summary printed at the end of the run (and kept in benchmarks.json): the figures to compare with
    /// an earlier run's, the ones that move when the service's cost moves.
    /// </summary>
    public void Summary(string name, string value) => _summary.Add((name, value));

    /// <summary>Prints the summary block, one figure a line.</summary>
    public void PrintSummary()
    {
        if (_summary.Count == 0)
        {
            return;
        }

        Print($"summary (code at {commit}; per-execution costs are comparable across machines, rates are not):");
        var width = _summary.Max(s => s.Name.Length);
        foreach (var (name, value) in _summary)
        {
            Console.WriteLine($"  {name.PadRight(width)}  {value}");
        }
    }

    /// <summary>Deadlocks PostgreSQL detected while <paramref name="scenario"/> ran (read before its database is dropped).</summary>
    public void Deadlocks(string scenario, long deadlocks)
    {
        _deadlocks.Add((scenario, deadlocks));
        Print($"{scenario}: {deadlocks} deadlocks detected by PostgreSQL");
    }

    public static void Print(string line) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

    public async Task WriteAsync()
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var elapsed = DateTimeOffset.UtcNow - _started;
        var scenarios = new JsonObject();
        foreach (var section in _sections)
        {
            scenarios[section.Key] = section.Json.DeepClone();
        }

        var goals = new JsonArray([.. _goals.Select(g => (JsonNode)new JsonObject
        {
            ["goal"] = g.Goal,
            ["target"] = g.Target,
            ["measured"] = g.Measured,
            ["ratio"] = double.IsFinite(g.Ratio) ? Math.Round(g.Ratio, 3) : null,
            ["met"] = g.Met,
            ["settings"] = g.Settings,
            ["note"] = g.Note,
        })]);
        var json = new JsonObject
        {
            ["date"] = _started.ToString("u", CultureInfo.InvariantCulture),
            ["quick"] = options.Quick,
            ["durationSeconds"] = Math.Round(elapsed.TotalSeconds),
            ["command"] = options.Command,
            ["commit"] = commit,
            ["machine"] = machine.ToJson(),
            ["serviceQuartzSettings"] = serviceQuartz.ToJson(),
            ["summary"] = new JsonObject(_summary.Select(s => KeyValuePair.Create(s.Name, (JsonNode?)s.Value))),
            ["nodeSettings"] = new JsonArray([.. NodeSettings.Differences.Select(d => (JsonNode)d)]),
            ["goals"] = goals,
            ["deadlocksByScenario"] = new JsonObject(_deadlocks.Select(d => KeyValuePair.Create(d.Scenario, (JsonNode?)d.Deadlocks))),
            ["scenarios"] = scenarios,
        };
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "benchmarks.json"), json.ToJsonString(Indented) + "\n");
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "benchmarks.md"), Markdown(elapsed));
    }

    private string Markdown(TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks");
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Written by `{options.Command}` on {_started:yyyy-MM-dd HH:mm} UTC in {elapsed.TotalMinutes:0.0} min, code at commit `{commit}`{(options.Quick ? " (quick: smaller sizes and shorter windows; figures are indicative only)" : "")}. ")
            + "Every scenario ran in this one run, the peers beside the service, on the same PostgreSQL server, each system in its own database. "
            + "Machine-readable: [`benchmarks.json`](benchmarks.json). How to run and what each scenario does: [benchmarking.md](benchmarking.md).");
        md.AppendLine();
        md.AppendLine("## Goals");
        md.AppendLine();
        md.AppendLine("Ratio is measured ÷ target: an upper bound is met at ≤ 1, a lower bound at ≥ 1.");
        md.AppendLine();
        md.AppendLine("| goal | target | measured | ratio | | settings |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var g in _goals)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {g.Goal} | {g.Target} | {g.Measured} | {(double.IsFinite(g.Ratio) ? g.Ratio.ToString("0.00", CultureInfo.InvariantCulture) : "∞")} | {(g.Met ? "met" : "**missed**")} | {g.Settings}{(g.Note is null ? "" : $"; {g.Note}")} |");
        }

        md.AppendLine();
        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| cores (`nproc`) | {machine.Cores} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| memory | {machine.MemoryGiB:0.0} GiB |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| CPU | {machine.Cpu} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| kernel | {machine.Kernel} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| .NET | {machine.Runtime} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL | {machine.PostgresVersion} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL data on | {machine.DataFilesystem} |");
        foreach (var (name, value) in machine.PostgresSettings)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {value} |");
        }

        md.AppendLine();
        md.AppendLine("The service, its stand-ins, the benchmark driver, the peers and PostgreSQL share these cores.");
        md.AppendLine();
        md.AppendLine("## Node settings");
        md.AppendLine();
        md.AppendLine("Nodes are real `dotnet Scheduler.Service.dll` processes with production defaults (`appsettings.json`'s Quartz settings: "
            + serviceQuartz.Describe() + "; lease renewed every 5 s, taken over after 30 s), except:");
        md.AppendLine();
        foreach (var difference in NodeSettings.Differences)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {difference}");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"- where a scenario says **fast settings**: the tests' cluster settings, {string.Join(", ", NodeSettings.Fast.Select(kv => $"`{kv.Key}={kv.Value}`"))}");
        md.AppendLine();
        md.AppendLine("There is no built-in no-op job type, so every benchmark job type is an HTTP-call type (`Jobs:<name>:Kind=HttpCall`) "
            + "calling `POST /v1/admin/bench/<name>` on the in-process stand-in (the core API's admin catch-all: HTTP Basic checked, `{\"processed\":1}` answered), "
            + "the cheapest real job the catalog offers. Its run is recorded exactly as any production run is.");
        md.AppendLine();
        foreach (var section in _sections)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {section.Title}");
            md.AppendLine();
            md.Append(section.Markdown);
        }

        if (_deadlocks.Count > 0)
        {
            md.AppendLine("## PostgreSQL deadlocks");
            md.AppendLine();
            md.AppendLine("Deadlocks PostgreSQL detected (and broke by aborting one transaction) while each scenario ran, from `pg_stat_database.deadlocks`.");
            md.AppendLine();
            md.AppendLine("| scenario | deadlocks |");
            md.AppendLine("|---|---|");
            foreach (var (scenario, deadlocks) in _deadlocks)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {deadlocks} |");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    public static string Format(double value, string unit) => double.IsNaN(value)
        ? "n/a"
        : double.IsPositiveInfinity(value)
        ? "never"
        : unit switch
        {
            "ms" => value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms",
            "s" => value.ToString("0.0", CultureInfo.InvariantCulture) + " s",
            "/s" => value.ToString(value < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + "/s",
            "x" => value.ToString("0.00", CultureInfo.InvariantCulture) + "×",
            _ => value.ToString("0.##", CultureInfo.InvariantCulture) + (unit.Length == 0 ? "" : " " + unit),
        };

    private sealed record GoalResult(string Goal, string Target, string Measured, double Ratio, bool Met, string Settings, string? Note);
}

/// <summary>One scenario's part of the report: markdown for people, a JSON object for tools.</summary>
internal sealed class ReportSection(string key, string title)
{
    private readonly StringBuilder _markdown = new();

    public string Key { get; } = key;

    public string Title { get; } = title;

    public JsonObject Json { get; } = [];

    public string Markdown => _markdown.ToString();

    public void Text(string text)
    {
        _markdown.AppendLine(text).AppendLine();
    }

    public void Table(string[] header, IEnumerable<string[]> rows)
    {
        _markdown.AppendLine("| " + string.Join(" | ", header) + " |");
        _markdown.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows)
        {
            _markdown.AppendLine("| " + string.Join(" | ", row) + " |");
        }

        _markdown.AppendLine();
    }

    public void Failed(Exception exception)
    {
        Json["error"] = exception.Message;
        Text($"**The scenario failed:** {exception.GetType().Name}: {exception.Message.Replace("\n", " ", StringComparison.Ordinal)}");
        Report.Print($"scenario {Key} failed: {exception}");
    }
}
