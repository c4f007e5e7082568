using System.Diagnostics;
using System.Text;

namespace Scheduler.Tests.Infrastructure;

/// <summary>The service as a separate process (<c>dotnet Scheduler.Service.dll</c>), for cluster behaviour across nodes.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, string baseUrl, string runnerId)
    {
        _process = process;
        BaseUrl = baseUrl;
        RunnerId = runnerId;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string BaseUrl { get; }

    public string RunnerId { get; }

    /// <summary>A client for this node carrying <paramref name="token"/> (an admin token unless another is given).</summary>
    public HttpClient CreateClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = TestTokens.Bearer(token ?? TestTokens.Admin);
        return client;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The repository's root (where Scheduler.sln is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Scheduler.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new InvalidOperationException("Scheduler.sln not found above the test directory");
        }
    }

    /// <summary>The service's build output, beside this test assembly's (same configuration).</summary>
    public static string ServiceDirectory
    {
        get
        {
            var testDir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            return Path.Combine(RepositoryRoot, "Scheduler.Service", "bin", testDir.Parent!.Name, testDir.Name);
        }
    }

    /// <summary>Runs <c>dotnet Scheduler.Service.dll</c> with <paramref name="arguments"/> and the environment given, without waiting.</summary>
    public static Process Launch(string arguments, IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet", $"Scheduler.Service.dll {arguments}".Trim())
        {
            WorkingDirectory = ServiceDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the service process");
    }

    public static async Task<ServiceProcess> StartAsync(string standInUrl, string runnerId, IDictionary<string, string?> settings)
    {
        var port = FreePort();
        var environment = ServiceHost.BaseSettings(TestDatabase.ConnectionString, standInUrl, runnerId)
            .ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value);
        environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["HOST"] = "127.0.0.1";
        environment["Logging__LogLevel__Default"] = "Information";
        environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new ServiceProcess(Launch("", environment), $"http://127.0.0.1:{port}", runnerId);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.Until(async () =>
        {
            if (process._process.HasExited)
            {
                throw new InvalidOperationException($"service process {runnerId} exited during start-up:\n{process.Output}");
            }

            try
            {
                return (await http.GetAsync($"{process.BaseUrl}/readyz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, ready => ready, TimeSpan.FromSeconds(60), $"service process {runnerId} to be ready");
        return process;
    }

    /// <summary>SIGKILL (kill -9): the node dies mid-whatever, with no chance to record anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the node freezes (as in a long GC pause, CPU throttling or a hung host) with everything it holds.</summary>
    public Task FreezeAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT: a frozen node carries on where it stopped, unaware of the time it lost.</summary>
    public Task ThawAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod, then waits for the process to exit.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
