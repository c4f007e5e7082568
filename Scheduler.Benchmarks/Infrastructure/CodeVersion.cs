using System.Diagnostics;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>The commit the measured code was built from (./bench.sh builds the working tree it runs in).</summary>
internal static class CodeVersion
{
    /// <summary><c>git rev-parse --short HEAD</c>, with "+ uncommitted changes" when the working tree differs from it; "unknown" without git.</summary>
    public static async Task<string> DescribeAsync()
    {
        var commit = await GitAsync("rev-parse", "--short", "HEAD");
        if (string.IsNullOrWhiteSpace(commit))
        {
            return "unknown";
        }

        var changes = await GitAsync("status", "--porcelain");
        return string.IsNullOrWhiteSpace(changes) ? commit.Trim() : $"{commit.Trim()} + uncommitted changes";
    }

    private static async Task<string?> GitAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("git", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? await output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // git is not installed.
            return null;
        }
    }
}
