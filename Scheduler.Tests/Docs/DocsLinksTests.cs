using System.Text.RegularExpressions;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Docs;

/// <summary>
/// The README and the pages under docs/ link to each other, to the manifests and to headings: every relative link
/// must land on a file that exists and, with an #anchor, on a heading whose GitHub slug is that anchor. The README
/// stays a page a newcomer reads in one sitting.
/// </summary>
public sealed partial class DocsLinksTests
{
    private const int ReadmeMaxBytes = 12 * 1024;

    private static string Root => ServiceProcess.RepositoryRoot;

    private static IEnumerable<string> Pages() =>
        new[] { Path.Combine(Root, "README.md"), Path.Combine(Root, "k8s", "README.md"), Path.Combine(Root, "database", "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal));

    [Test]
    public void Readme_FitsUnderTwelveKilobytes()
    {
        var bytes = new FileInfo(Path.Combine(Root, "README.md")).Length;

        bytes.Should().BeLessThan(ReadmeMaxBytes, "README.md is the first ten minutes; the rest belongs in docs/");
    }

    [Test]
    public void Readme_HasATableOfContentsAndTheFirstCommands()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        readme.Should().Contain("](#quick-start)").And.Contain("](#layout)").And.Contain("](#documentation)");
        readme.Should().Contain("./run.sh").And.Contain("./test.sh").And.Contain("POST localhost:8080/api/jobs/trigger");
    }

    [Test]
    public void EveryRelativeLink_LandsOnAFileAndItsAnchorOnAHeading()
    {
        var broken = new List<string>();
        var checkedLinks = 0;
        foreach (var page in Pages())
        {
            foreach (var target in Links(page))
            {
                if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" or "mailto")
                {
                    continue;
                }

                checkedLinks++;
                var hash = target.IndexOf('#', StringComparison.Ordinal);
                var pathPart = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
                var resolved = pathPart.Length == 0
                    ? page
                    : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(pathPart)));
                var where = $"{Path.GetRelativePath(Root, page)}: ({target})";

                if (!File.Exists(resolved) && !Directory.Exists(resolved))
                {
                    broken.Add($"{where} names a file that does not exist");
                }
                else if (anchor is not null && !(resolved.EndsWith(".md", StringComparison.Ordinal) && Anchors(resolved).Contains(anchor)))
                {
                    broken.Add($"{where}: no heading has the slug '{anchor}'");
                }
            }
        }

        checkedLinks.Should().BeGreaterThan(20, "the pages link to each other");
        broken.Should().BeEmpty();
    }

    [Test]
    public void Anchors_FollowGitHubSlugs()
    {
        var file = Path.Combine(Path.GetTempPath(), $"slugs-{Guid.NewGuid():N}.md");
        File.WriteAllText(file, "# One run at a time, cancel, retry, recovery\n```\n## In a fence\n```\n## `GET /api/jobs` (reader)\n## Tests\n## Tests\n");
        try
        {
            Anchors(file).Should().BeEquivalentTo(["one-run-at-a-time-cancel-retry-recovery", "get-apijobs-reader", "tests", "tests-1"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Link targets outside code fences and inline code.</summary>
    private static IEnumerable<string> Links(string page)
    {
        var inFence = false;
        foreach (var line in File.ReadAllLines(page))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            if (inFence)
            {
                continue;
            }

            foreach (Match link in Link().Matches(InlineCode().Replace(line, "")))
            {
                yield return link.Groups["target"].Value;
            }
        }
    }

    private static IReadOnlySet<string> Anchors(string page) => MarkdownAnchors.Of(page);

    [GeneratedRegex(@"\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCode();
}
