using System.Diagnostics;
using System.Text;

namespace Scheduler.Tests.Observability;

/// <summary>
/// Prometheus's <c>promtool</c> (Debian package <c>prometheus</c>). A missing promtool fails the test that needs it:
/// alert rules that were never checked must not pass as if they had been.
/// </summary>
public static class Promtool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs <c>promtool</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>; stdout and stderr together.</summary>
    public static async Task<Result> RunAsync(string workingDirectory, params string[] arguments)
    {
        var executable = Locate();
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"promtool {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds:0} s:\n{Read(output)}");
        }

        // WaitForExitAsync returns once the streams are drained, so the output is complete here.
        return new Result(process.ExitCode, $"promtool {string.Join(' ', arguments)} (exit {process.ExitCode}):\n{Read(output)}");
    }

    private static string Locate()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "promtool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("promtool is not installed (not on PATH). It checks and unit-tests the alert rules and checks the dashboard queries in k8s/base/observability; "
            + "install it with `apt-get install -y prometheus` (Debian/Ubuntu), or put a Prometheus release's promtool on PATH.");
        return "";
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
