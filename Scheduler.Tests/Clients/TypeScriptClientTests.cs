using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Clients;

/// <summary>
/// The TypeScript client (clients/typescript) against the service as it is now: its OpenAPI snapshot is the served
/// document, its generated types are what openapi-typescript makes of that snapshot, and it triggers and reads a run.
/// </summary>
public sealed class TypeScriptClientTests : ServiceFixture
{
    [Test]
    public async Task Snapshot_IsTheDocumentTheServiceServes()
    {
        using var anonymous = Service.CreateClient(null);
        using var response = await anonymous.GetAsync("/openapi/v1.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var served = Normalised(await response.Content.ReadAsStringAsync());
        var snapshot = Normalised(await File.ReadAllTextAsync(TypeScriptClient.Snapshot));

        var difference = FirstDifference(served, snapshot, "$");
        difference.Should().BeNull(
            $"clients/typescript/openapi.json must be the document the service serves at /openapi/v1.json. {TypeScriptClient.UpdateHint}");
    }

    [Test]
    public async Task GeneratedSchema_IsWhatOpenApiTypescriptMakesOfTheSnapshot()
    {
        var output = Path.Combine(Path.GetTempPath(), $"scheduler-schema-{Guid.NewGuid():N}.ts");
        try
        {
            await TypeScriptClient.NpxAsync("openapi-typescript", "openapi.json", "--output", output);

            var regenerated = await File.ReadAllBytesAsync(output);
            var committed = await File.ReadAllBytesAsync(TypeScriptClient.Schema);
            regenerated.SequenceEqual(committed).Should().BeTrue(
                $"clients/typescript/src/schema.ts must be generated from the committed openapi.json. {TypeScriptClient.UpdateHint}");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Test]
    public async Task ClientAndExamples_TypeCheck()
    {
        var result = await TypeScriptClient.NpxAsync("tsc", "--noEmit");

        result.ExitCode.Should().Be(0, result.Output);
    }

    [Test]
    public async Task GeneratedClient_TriggersCrawlPending_FollowsItToCompleted_AndReadsTheStatusReport()
    {
        StandIns.State.SeedDiscoveries(2);
        await TypeScriptClient.NpxAsync("tsc", "--project", "tsconfig.test.json");
        var environment = new Dictionary<string, string>
        {
            ["SCHEDULER_URL"] = Service.Client.BaseAddress!.ToString().TrimEnd('/'),
            ["SCHEDULER_TOKEN"] = TestTokens.Admin,
        };

        var result = await TypeScriptClient.NodeAsync(environment, Path.Combine("dist-test", "test", "trigger-and-status.js"));

        result.ExitCode.Should().Be(0, result.Output);
        using var report = JsonDocument.Parse(result.StandardOutput);
        var root = report.RootElement;
        root.GetProperty("triggerStatus").GetInt32().Should().Be(202, result.Output);
        root.GetProperty("jobType").GetString().Should().Be("crawl_pending");
        root.GetProperty("status").GetString().Should().Be("completed", result.Output);
        var entry = root.GetProperty("crawlPending");
        entry.ValueKind.Should().Be(JsonValueKind.Object, "GET /api/jobs/status lists crawl_pending: " + result.Output);
        entry.GetProperty("name").GetString().Should().Be("crawl_pending");
        entry.GetProperty("last_success_at").ValueKind.Should().Be(JsonValueKind.String, "the run just completed: " + result.Output);
        entry.GetProperty("runner_id").GetString().Should().Be(Service.RunnerId);
    }

    /// <summary>
    /// The document without what depends on the process that served it: <c>servers</c> (the address it was read from),
    /// and the host's name, which the framework takes from the entry assembly (the test runner's here) for
    /// <c>info.title</c> ("name | v1") and for the tag of endpoints that name none.
    /// </summary>
    private static JsonObject Normalised(string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        document.Remove("servers");
        var title = document["info"]?["title"]?.GetValue<string>() ?? "";
        if (title.Length > 0)
        {
            ReplaceHostName(document, [title, title.Split(" | ")[0]]);
        }

        return document;
    }

    private static void ReplaceHostName(JsonNode? node, IReadOnlyCollection<string> names)
    {
        var children = node switch
        {
            JsonObject o => o.Select(p => (Key: (object)p.Key, p.Value)).ToList(),
            JsonArray a => a.Select((v, i) => (Key: (object)i, Value: v)).ToList(),
            _ => [],
        };
        foreach (var (key, value) in children)
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && names.Contains(text))
            {
                var placeholder = JsonValue.Create("<host>");
                if (key is string name)
                {
                    node![name] = placeholder;
                }
                else
                {
                    node![(int)key] = placeholder;
                }
            }
            else
            {
                ReplaceHostName(value, names);
            }
        }
    }

    /// <summary>The JSON path of the first place where the two documents differ, with both values; null when equal.</summary>
    private static string? FirstDifference(JsonNode? served, JsonNode? snapshot, string path)
    {
        switch (served, snapshot)
        {
            case (JsonObject a, JsonObject b):
                foreach (var name in a.Select(p => p.Key).Union(b.Select(p => p.Key), StringComparer.Ordinal))
                {
                    if (!a.ContainsKey(name) || !b.ContainsKey(name))
                    {
                        return $"{path}.{name} is {(a.ContainsKey(name) ? "served but not in the snapshot" : "in the snapshot but not served")}";
                    }

                    if (FirstDifference(a[name], b[name], $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case (JsonArray a, JsonArray b) when a.Count == b.Count:
                return a.Select((item, i) => FirstDifference(item, b[i], $"{path}[{i}]")).FirstOrDefault(d => d is not null);
            default:
                return JsonNode.DeepEquals(served, snapshot)
                    ? null
                    : $"{path}: served {served?.ToJsonString() ?? "null"}, snapshot has {snapshot?.ToJsonString() ?? "null"}";
        }
    }
}
