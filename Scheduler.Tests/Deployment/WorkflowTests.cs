using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// The GitHub Actions workflows, read statically: CI restores with a cache, builds, runs ./test.sh against a
/// PostgreSQL service container and uploads the results; deploy builds and pushes the image tagged with the commit,
/// sets it in the prod overlay, reaches the cluster through OIDC federation (no stored credentials) and waits for
/// the rollout of the Deployment in the prod overlay's namespace.
/// </summary>
public sealed partial class WorkflowTests
{
    private static JsonObject Workflow(string name)
    {
        var path = Path.Combine(ServiceProcess.RepositoryRoot, ".github", "workflows", name);
        File.Exists(path).Should().BeTrue($".github/workflows/{name} exists");
        return Manifests.Parse(File.ReadAllText(path)).Single();
    }

    private static IEnumerable<JsonObject> Steps(JsonObject workflow, string job) => Manifests.Items(workflow["jobs"]?[job]?["steps"]);

    private static IEnumerable<string> Runs(JsonObject workflow, string job) => Steps(workflow, job).Select(s => Manifests.Text(s["run"]) ?? "");

    private static JsonObject Uses(JsonObject workflow, string job, string action) =>
        Steps(workflow, job).FirstOrDefault(s => (Manifests.Text(s["uses"]) ?? "").StartsWith(action + "@", StringComparison.Ordinal))
        ?? throw new AssertionException($"job {job} has no step using {action}");

    [Test]
    public void Ci_RestoresWithACache_Builds_RunsTestShAgainstPostgres_AndUploadsTheResults()
    {
        var ci = Workflow("ci.yml");
        var test = ci["jobs"]!["test"]!;
        var runs = Runs(ci, "test").ToList();

        ci["on"]!.AsObject().Select(kv => kv.Key).Should().Contain(["pull_request", "workflow_call"]);
        Manifests.Text(test["services"]?["postgres"]?["image"]).Should().StartWith("postgres:");
        Manifests.Text(test["env"]?["ConnectionStrings__Scheduler"]).Should().Contain("Host=127.0.0.1;Port=5432", "./test.sh uses the service container");
        var cache = Uses(ci, "test", "actions/cache");
        Manifests.Text(cache["with"]?["path"]).Should().Contain(".nuget/packages");
        Manifests.Text(cache["with"]?["key"]).Should().Contain("Directory.Packages.props", "the cache is keyed on the pinned package versions");
        runs.Should().Contain(r => r.Contains("dotnet restore", StringComparison.Ordinal));
        runs.Should().Contain(r => r.Contains("dotnet build", StringComparison.Ordinal) && r.Contains("-c Release", StringComparison.Ordinal));
        runs.Should().Contain(r => r.Trim() == "./test.sh");
        var upload = Uses(ci, "test", "actions/upload-artifact");
        Manifests.Text(upload["if"]).Should().Contain("always()", "results are uploaded when tests fail too");
        Manifests.Text(upload["with"]?["path"]).Should().Be("TestResults/");
    }

    [Test]
    public async Task Deploy_OnMain_PushesTheCommitsImage_SetsItInProd_UsesOidc_AppliesAndWaitsForTheRollout()
    {
        var deploy = Workflow("deploy.yml");
        var text = await File.ReadAllTextAsync(Path.Combine(ServiceProcess.RepositoryRoot, ".github", "workflows", "deploy.yml"));
        var prod = await Manifests.OverlayAsync("prod");
        var baseImage = Manifests.Text((await Manifests.RenderAsync("base")).Container["image"]);
        var job = deploy["jobs"]!["deploy"]!;
        var runs = Runs(deploy, "deploy").ToList();
        var environment = Manifests.Map(deploy["env"]);

        (deploy["on"]!["push"]!["branches"] as JsonArray)!.Select(Manifests.Text).Should().Contain("main");
        Manifests.Text(deploy["jobs"]!["test"]!["uses"]).Should().Be("./.github/workflows/ci.yml", "main deploys only what passed CI");
        Manifests.Text(job["needs"]).Should().Be("test");
        Manifests.Text(job["permissions"]?["id-token"]).Should().Be("write", "azure/login federates with the workflow's OIDC token");
        Manifests.Text(job["permissions"]?["packages"]).Should().Be("write", "GITHUB_TOKEN pushes to ghcr.io");

        var login = Uses(deploy, "deploy", "docker/login-action");
        Manifests.Text(login["with"]?["registry"]).Should().Be("ghcr.io");
        Manifests.Text(login["with"]?["password"]).Should().Be("${{ secrets.GITHUB_TOKEN }}");
        var push = Uses(deploy, "deploy", "docker/build-push-action");
        Manifests.Text(push["with"]?["push"]).Should().Be("true");
        Manifests.Text(push["with"]?["tags"]).Should().EndWith(":${{ github.sha }}", "the image is tagged with the commit");

        var setImage = Steps(deploy, "deploy").Single(s => (Manifests.Text(s["run"]) ?? "").Contains("kustomize edit set image", StringComparison.Ordinal));
        Manifests.Text(setImage["working-directory"]).Should().Be("k8s/overlays/prod");
        Manifests.Text(setImage["run"]).Should().Contain($"kustomize edit set image {baseImage}=").And.Contain(":${{ github.sha }}",
            "the name before '=' is the image the base Deployment names, so kustomize replaces it");

        var azure = Uses(deploy, "deploy", "azure/login");
        foreach (var input in new[] { "client-id", "tenant-id", "subscription-id" })
        {
            Manifests.Text(azure["with"]?[input]).Should().MatchRegex(@"^\$\{\{\s*vars\.[A-Z_]+\s*\}\}$", $"{input} is a repository variable, not a stored secret");
        }

        azure["with"]?["creds"].Should().BeNull("no long-lived service principal secret");
        azure["with"]?["client-secret"].Should().BeNull();
        SecretReference().Matches(text).Select(m => m.Value).Should().OnlyContain(s => s.Contains("GITHUB_TOKEN", StringComparison.Ordinal),
            "the only secret the deployment uses is the workflow's own token");
        Uses(deploy, "deploy", "azure/aks-set-context");

        runs.Should().Contain(r => r.Contains("kubectl apply -k k8s/overlays/prod", StringComparison.Ordinal));
        var rollout = runs.Select(r => RolloutStatus().Match(r)).Should().ContainSingle(m => m.Success).Subject;
        var ns = rollout.Groups["namespace"].Value.Trim('"');
        ns = ns is "$NAMESPACE" or "${NAMESPACE}" or "${{ env.NAMESPACE }}" ? environment.GetValueOrDefault("NAMESPACE", ns) : ns;
        ns.Should().Be(Manifests.Text(prod.Deployment["metadata"]!["namespace"]), "the rollout awaited is the one the prod overlay applies");
        rollout.Groups["timeout"].Value.Should().Be("10m");
    }

    [GeneratedRegex(@"\$\{\{\s*secrets\.[A-Za-z0-9_]+\s*\}\}")]
    private static partial Regex SecretReference();

    [GeneratedRegex(@"kubectl rollout status deploy/scheduler-service -n (?<namespace>\S+) --timeout=(?<timeout>\S+)")]
    private static partial Regex RolloutStatus();
}
