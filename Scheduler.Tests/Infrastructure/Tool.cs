using System.Diagnostics;
using System.Text;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// A command-line tool the tests call (promtool, jq, kubectl …). A missing tool fails the test that needs it, with
/// how to install it: a check that never ran must not pass as if it had.
/// </summary>
public static class Tool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <param name="ExitCode">The tool's exit code.</param>
    /// <param name="StandardOutput">What it wrote to standard output.</param>
    /// <param name="Output">A transcript for failure messages: the command line, exit code, standard output and error.</param>
    public sealed record Result(int ExitCode, string StandardOutput, string Output);

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/>, feeding it <paramref name="input"/>, with
    /// <paramref name="environment"/> added to this process's; <paramref name="install"/> says how to get it.
    /// </summary>
    public static async Task<Result> RunAsync(
        string command,
        IEnumerable<string> arguments,
        string install,
        string? input = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Locate(command, install))
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var line = $"{command} {string.Join(' ', start.ArgumentList)}";
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{line} did not finish within {Timeout.TotalSeconds:0} s:\n{Read(stdout)}{Read(stderr)}");
        }

        // WaitForExitAsync returns once the streams are drained, so the output is complete here.
        return new Result(process.ExitCode, Read(stdout), $"{line} (exit {process.ExitCode}):\n{Read(stdout)}{Read(stderr)}");
    }

    private static string Locate(string command, string install)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"{command} is not installed (not on PATH); ./test.sh installs it. By hand: {install}");
        return "";
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
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
