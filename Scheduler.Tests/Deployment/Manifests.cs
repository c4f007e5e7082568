using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Scheduler.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// The Kubernetes manifests as a cluster would receive them: each overlay rendered by <c>kubectl kustomize</c>
/// (once per run), its objects read from YAML into JSON nodes, and the offline schema validator
/// (<c>scripts/k8s-validate</c>, installed by ./test.sh into <c>.tools/k8s-validate</c>).
/// </summary>
public static class Manifests
{
    public const string AppName = "scheduler-service";
    public const string ConfigMapName = "scheduler-service-config";
    public const string SecretName = "scheduler-service-secrets";
    public const string DashboardConfigMapName = "scheduler-service-dashboard";
    public const string LinksConfigMapName = "scheduler-service-links";
    public const string IngressConfigMapName = "scheduler-service-ingress";

    /// <summary>The overlays and the namespace each deploys to.</summary>
    public static IReadOnlyDictionary<string, string> Overlays { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["dev"] = "stumbleable-dev",
        ["prod"] = "stumbleable",
        ["prod-ingress"] = "stumbleable",
    };

    private const string KubectlHint =
        "The deployment tests render k8s/overlays/* with `kubectl kustomize` (kustomize is built into kubectl 1.14+); install kubectl "
        + "1.27+ (Debian's kubernetes-client is too old) from the Kubernetes apt repository, or `snap install kubectl --classic` on Ubuntu, "
        + "or put it on PATH; ./test.sh says which it found.";

    private const string NodeHint =
        "The manifest validator (scripts/k8s-validate/validate.mjs) runs on Node.js; ./test.sh installs the distribution's nodejs and npm (its packages declare Node 22+).";

    private static readonly ConcurrentDictionary<string, Lazy<Task<Rendered>>> Cache = new(StringComparer.Ordinal);

    public static string K8sDirectory => Path.Combine(ServiceProcess.RepositoryRoot, "k8s");

    public static string ValidatorScript => Path.Combine(ServiceProcess.RepositoryRoot, "scripts", "k8s-validate", "validate.mjs");

    public static string ValidatorTools => Path.Combine(ServiceProcess.RepositoryRoot, ".tools", "k8s-validate");

    /// <summary><c>kubectl kustomize k8s/overlays/&lt;overlay&gt;</c> (or any folder under k8s/), rendered once per run.</summary>
    public static Task<Rendered> RenderAsync(string folder) =>
        Cache.GetOrAdd(folder, f => new Lazy<Task<Rendered>>(() => RenderUncachedAsync(f))).Value;

    public static Task<Rendered> OverlayAsync(string overlay) => RenderAsync(Path.Combine("overlays", overlay));

    /// <summary>
    /// A literal <c>key=value</c> of the ConfigMap <paramref name="configMap"/> that k8s/overlays/&lt;overlay&gt;/kustomization.yaml
    /// generates: the settings a deployer writes once there (the runbook base URL, the Ingress's host).
    /// </summary>
    public static string OverlaySetting(string overlay, string configMap, string key)
    {
        var path = Path.Combine(K8sDirectory, "overlays", overlay, "kustomization.yaml");
        var kustomization = Parse(File.ReadAllText(path)).Single();
        var generator = Items(kustomization["configMapGenerator"]).SingleOrDefault(g => Text(g["name"]) == configMap)
            ?? throw new AssertionException($"{path} generates no ConfigMap {configMap}");
        var prefix = key + "=";
        return (generator["literals"] as JsonArray ?? []).Select(Text).OfType<string>()
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..]).SingleOrDefault()
            ?? throw new AssertionException($"{path}: ConfigMap {configMap} has no literal {key}=…");
    }

    /// <summary>The one runbook base URL k8s/overlays/&lt;overlay&gt; sets, which every runbook_url and the dashboard's Runbook link start with.</summary>
    public static string RunbookBaseUrl(string overlay) => OverlaySetting(overlay, LinksConfigMapName, "runbookBaseUrl");

    /// <summary>Runs the offline validator on <paramref name="yaml"/> (multi-document), from a file in a temporary folder.</summary>
    public static async Task<Tool.Result> ValidateAsync(string yaml, string fileName = "manifests.yaml")
    {
        if (!File.Exists(Path.Combine(ValidatorTools, "node_modules", "kubernetes-models", "package.json")))
        {
            Assert.Fail($"The manifest validator's npm packages are not installed in {ValidatorTools}. ./test.sh installs them "
                + "(npm ci from scripts/k8s-validate/package-lock.json); by hand: mkdir -p .tools/k8s-validate && cp scripts/k8s-validate/package*.json "
                + ".tools/k8s-validate/ && (cd .tools/k8s-validate && npm ci).");
        }

        var directory = Directory.CreateTempSubdirectory("scheduler-manifests-");
        try
        {
            var file = Path.Combine(directory.FullName, fileName);
            await File.WriteAllTextAsync(file, yaml);
            FailIfTestShFound(ToolProblem("SCHEDULER_NODE_PROBLEM"));
            return await Tool.RunAsync("node", [ValidatorScript, "--tools", ValidatorTools, file], NodeHint, workingDirectory: ServiceProcess.RepositoryRoot);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Every document of <paramref name="yaml"/> as JSON (YAML 1.2 core schema for plain scalars).</summary>
    public static IReadOnlyList<JsonObject> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Select(d => ToJson(d.RootNode))
            .OfType<JsonObject>()
            .ToList();
    }

    /// <summary>A copy of a node as a plain value (null when missing), for comparisons.</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        JsonValue value => value.ToJsonString(),
        _ => node.ToJsonString(),
    };

    /// <summary>The string-to-string map at <paramref name="node"/> (labels, selectors, ConfigMap data); empty when missing.</summary>
    public static IReadOnlyDictionary<string, string> Map(JsonNode? node) =>
        node is JsonObject map
            ? map.ToDictionary(kv => kv.Key, kv => Text(kv.Value) ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>What ./test.sh found wrong with a tool it looked for (missing, too old), so the tests needing it say so.</summary>
    private static string? ToolProblem(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } problem ? problem : null;

    private static void FailIfTestShFound(string? problem)
    {
        if (problem is not null)
        {
            Assert.Fail(problem);
        }
    }

    public static IEnumerable<JsonObject> Items(JsonNode? node) => node is JsonArray array ? array.OfType<JsonObject>() : [];

    private static async Task<Rendered> RenderUncachedAsync(string folder)
    {
        FailIfTestShFound(ToolProblem("SCHEDULER_KUBECTL_PROBLEM"));
        var result = await Tool.RunAsync("kubectl", ["kustomize", folder], KubectlHint, workingDirectory: K8sDirectory);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"kubectl kustomize k8s/{folder} failed (exit {result.ExitCode}):\n{result.Output}");
        }

        return new Rendered(folder, result.StandardOutput, Parse(result.StandardOutput));
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(value.Equals("true", StringComparison.OrdinalIgnoreCase));
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && value.Any(char.IsDigit))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }
}

/// <summary>One rendered kustomization: its YAML text and its objects.</summary>
public sealed record Rendered(string Folder, string Yaml, IReadOnlyList<JsonObject> Objects)
{
    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Manifests.Text(o["kind"]) == kind);

    public JsonObject? Find(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => Manifests.Text(o["metadata"]?["name"]) == name);

    /// <summary>The object of that kind and name; fails the test naming what is there when it is missing.</summary>
    public JsonObject Get(string kind, string name) =>
        Find(kind, name) ?? throw new AssertionException(
            $"k8s/{Folder} renders no {kind} named {name}; it has: {string.Join(", ", Objects.Select(o => $"{Manifests.Text(o["kind"])}/{Manifests.Text(o["metadata"]?["name"])}"))}");

    public JsonObject Deployment => Get("Deployment", Manifests.AppName);

    public JsonObject PodSpec => Deployment["spec"]?["template"]?["spec"] as JsonObject
        ?? throw new AssertionException($"k8s/{Folder}: the Deployment has no spec.template.spec");

    public IReadOnlyDictionary<string, string> PodLabels => Manifests.Map(Deployment["spec"]?["template"]?["metadata"]?["labels"]);

    public JsonObject Container => Manifests.Items(PodSpec["containers"]).SingleOrDefault(c => Manifests.Text(c["name"]) == Manifests.AppName)
        ?? throw new AssertionException($"k8s/{Folder}: the Deployment has no container named {Manifests.AppName}");

    public IReadOnlyDictionary<string, string> ConfigData => Manifests.Map(Get("ConfigMap", Manifests.ConfigMapName)["data"]);

    /// <summary>The container port named <paramref name="name"/>.</summary>
    public long? ContainerPort(string name) =>
        Manifests.Items(Container["ports"]).Where(p => Manifests.Text(p["name"]) == name)
            .Select(p => p["containerPort"]?.GetValue<long>()).FirstOrDefault();
}
