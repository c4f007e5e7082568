using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// The Dockerfile, read statically (there is no container engine where the tests run; CI builds the image):
/// an SDK build stage and a chiseled <c>-extra</c> ASP.NET runtime stage, non-root, port 8080 as the Deployment's
/// <c>http</c> port, the service as the entry point; everything the build needs is copied and not ignored.
/// </summary>
public sealed partial class DockerfileTests
{
    private const string BuildImage = "mcr.microsoft.com/dotnet/sdk:10.0";
    private const string RuntimeImage = "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra";

    private static string Root => ServiceProcess.RepositoryRoot;

    private sealed record Instruction(string Keyword, string Arguments);

    private sealed record Stage(string Image, string? Name, IReadOnlyList<Instruction> Instructions)
    {
        public IEnumerable<string> All(string keyword) =>
            Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);
    }

    [Test]
    public void Dockerfile_BuildsWithTheSdk_AndRunsOnTheChiseledExtraAspNetImage()
    {
        var stages = Stages();

        stages.Should().HaveCountGreaterThanOrEqualTo(2, "a multi-stage build: the SDK never ships");
        stages[0].Image.Should().Be(BuildImage);
        stages[^1].Image.Should().Be(RuntimeImage, "the -extra chiseled image has ICU and time zone data (IANA zones in schedules)");
        stages[0].All("RUN").Should().Contain(r => r.Contains("dotnet publish Scheduler.Service/Scheduler.Service.csproj", StringComparison.Ordinal)
            && r.Contains("-c Release", StringComparison.Ordinal));
        stages[^1].All("COPY").Should().Contain(c => c.StartsWith($"--from={stages[0].Name} ", StringComparison.Ordinal),
            "the runtime stage takes the published output from the build stage");
    }

    [Test]
    public async Task RuntimeStage_IsNonRoot_Exposes8080AsTheDeploymentsHttpPort_AndRunsTheService()
    {
        var runtime = Stages()[^1];
        var prod = await Manifests.OverlayAsync("prod");

        var user = runtime.All("USER").Should().ContainSingle().Subject;
        user.Should().BeOneOf(["1654", "app", "$APP_UID"], "the chiseled image's non-root app user (UID 1654), never root");
        runtime.All("EXPOSE").Should().Equal([prod.ContainerPort("http")!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            "the image exposes the Deployment's http port");
        var env = string.Join(' ', runtime.All("ENV"));
        env.Should().MatchRegex(@"\b(PORT|ASPNETCORE_HTTP_PORTS)=8080\b", "the app listens on 8080 in the image too");
        var entrypoint = JsonSerializer.Deserialize<string[]>(runtime.All("ENTRYPOINT").Should().ContainSingle().Subject);
        entrypoint.Should().Equal(["dotnet", "Scheduler.Service.dll"], "exec form, so the service gets SIGTERM itself (no shell in a chiseled image)");
        Long(prod.PodSpec["securityContext"]?["runAsUser"]).Should().Be(1654, "the pod runs as the image's user, numerically verifiable");
    }

    [Test]
    public void BuildStage_CopiesEveryProjectTheServiceNeeds_AndNothingItCopiesIsIgnored()
    {
        var build = Stages()[0];
        var sources = build.All("COPY").Where(c => !c.StartsWith("--", StringComparison.Ordinal))
            .SelectMany(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .Select(s => s.TrimEnd('/'))
            .ToList();
        var ignored = DockerIgnorePatterns();

        sources.Should().OnlyContain(s => File.Exists(Path.Combine(Root, s)) || Directory.Exists(Path.Combine(Root, s)), "every COPY source exists");
        sources.Where(s => IsIgnored(s, ignored)).Should().BeEmpty(".dockerignore must not hide what the Dockerfile copies");
        var needed = ProjectClosure(Path.Combine("Scheduler.Service", "Scheduler.Service.csproj")).Select(Path.GetDirectoryName).Append("database").ToList();
        sources.Should().Contain(needed!, "the service's project references (and its embedded migrations) are all in the build context");
        sources.Should().Contain(["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig"],
            "the build uses the repository's SDK, package versions and code style");
    }

    [Test]
    public void DockerIgnore_KeepsBuildOutputLocalStateResultsAndGitOutOfTheContext()
    {
        var ignored = DockerIgnorePatterns();

        foreach (var path in new[] { "Scheduler.Service/bin", "Scheduler.Jobs/obj", ".local", "TestResults", ".git", ".tools" })
        {
            IsIgnored(path, ignored).Should().BeTrue($"{path} is not part of the image's build context");
        }
    }

    private static long? Long(System.Text.Json.Nodes.JsonNode? node) => node?.GetValue<long>();

    private static List<Stage> Stages()
    {
        var path = Path.Combine(Root, "Dockerfile");
        File.Exists(path).Should().BeTrue("the repository root has a Dockerfile");
        var joined = Regex.Replace(File.ReadAllText(path), @"\\\r?\n", " ");
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        foreach (var line in joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var match = InstructionLine().Match(line);
            match.Success.Should().BeTrue($"'{line}' is a Dockerfile instruction");
            var keyword = match.Groups["keyword"].Value.ToUpperInvariant();
            var arguments = Regex.Replace(match.Groups["arguments"].Value.Trim(), @"\s+", " ");
            if (keyword == "FROM")
            {
                var from = FromLine().Match(arguments);
                current = [];
                stages.Add(new Stage(from.Groups["image"].Value, from.Groups["name"].Success ? from.Groups["name"].Value : null, current));
            }
            else
            {
                current.Should().NotBeNull("instructions follow a FROM");
                current!.Add(new Instruction(keyword, arguments));
            }
        }

        return stages;
    }

    private static List<string> DockerIgnorePatterns()
    {
        var path = Path.Combine(Root, ".dockerignore");
        File.Exists(path).Should().BeTrue("the repository root has a .dockerignore");
        return File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.TrimEnd('/'))
            .ToList();
    }

    /// <summary>Docker's rule for the common forms: <c>name</c> or <c>dir/name</c> from the root, <c>**/name</c> at any depth.</summary>
    private static bool IsIgnored(string path, IEnumerable<string> patterns)
    {
        var segments = path.Split('/');
        foreach (var pattern in patterns)
        {
            if (pattern.StartsWith("**/", StringComparison.Ordinal))
            {
                var name = pattern[3..];
                if (segments.Any(s => s == name) || (name.StartsWith("*.", StringComparison.Ordinal) && path.EndsWith(name[1..], StringComparison.Ordinal)))
                {
                    return true;
                }
            }
            else if (path == pattern || path.StartsWith(pattern + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The project and every project it references, transitively, as paths from the repository root.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (!seen.Add(next))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(next)!;
            foreach (var reference in XDocument.Load(Path.Combine(Root, next)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(Root, directory, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(Root, full));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"^(?<keyword>[A-Za-z]+)\s+(?<arguments>.*)$")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"^(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();
}
