using System.Text;
using System.Text.Json;
using FluentAssertions;

namespace Scheduler.Tests.Observability;

/// <summary>
/// The Grafana dashboard in k8s/base/observability: the variables operators filter by, and queries that Prometheus
/// can parse and that only name metrics the service exports.
/// </summary>
public sealed class DashboardTests
{
    [Test]
    public void Dashboard_HasItsUidADatasourceVariableAndAMultiValueJobTypeVariable()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(ObservabilityFiles.DashboardPath));
        var root = dashboard.RootElement;
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v);

        root.GetProperty("uid").GetString().Should().Be("scheduler-service");
        variables.Should().ContainKeys("datasource", "job_type");
        variables["datasource"].GetProperty("type").GetString().Should().Be("datasource");
        variables["datasource"].GetProperty("query").GetString().Should().Be("prometheus");
        variables["job_type"].GetProperty("multi").GetBoolean().Should().BeTrue();
        variables["job_type"].GetProperty("definition").GetString().Should().Be("label_values(scheduler_job_executions_total, job_type)");
    }

    [Test]
    public void Dashboard_QueriesOnlyMetricsTheServiceOrPrometheusProvides()
    {
        var unknown = ObservabilityFiles.DashboardQueries()
            .SelectMany(q => ObservabilityFiles.MetricNames(q.Expr).Select(metric => (q.Panel, Metric: metric)))
            .Where(x => !ObservabilityFiles.KnownMetrics.Contains(x.Metric))
            .Select(x => $"{x.Panel}: {x.Metric}")
            .ToList();

        ObservabilityFiles.DashboardQueries().Should().NotBeEmpty();
        unknown.Should().BeEmpty("the dashboard may only query metrics the service exports (or Prometheus's up)");
    }

    /// <summary>Each query, with Grafana's variables filled in, as a recording rule: promtool parses every expression.</summary>
    [Test]
    public async Task Dashboard_EveryQueryParsesAsPromQl()
    {
        var queries = ObservabilityFiles.DashboardQueries();
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (var i = 0; i < queries.Count; i++)
        {
            rules.Append("      # ").Append(queries[i].Panel).Append(' ').Append(queries[i].RefId).Append('\n');
            rules.Append("      - record: dashboard:query_").Append(i).Append('\n');
            rules.Append("        expr: |\n");
            foreach (var line in ObservabilityFiles.WithoutGrafanaVariables(queries[i].Expr).Split('\n'))
            {
                rules.Append("          ").Append(line).Append('\n');
            }
        }

        var directory = Directory.CreateTempSubdirectory("scheduler-dashboard-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "dashboard.rules.yaml"), rules.ToString());

            var result = await Promtool.RunAsync(directory.FullName, "check", "rules", "dashboard.rules.yaml");

            result.ExitCode.Should().Be(0, $"{result.Output}\n{rules}");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
