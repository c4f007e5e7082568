using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Scheduler.Testing;

/// <summary>How to start a <see cref="ServiceProcess"/>.</summary>
/// <param name="ServiceDirectory">The service's build output (where Scheduler.Service.dll is).</param>
/// <param name="RunnerId">The node's <c>JOB_RUNNER_ID</c>.</param>
/// <param name="Settings">Configuration keys (<c>Section:Key</c>) and values, passed in the environment as a container gets them.</param>
/// <param name="Token">The bearer token the node's clients carry unless another is given.</param>
/// <param name="LogFile">Where the node's output goes; without one it is kept in memory (<see cref="ServiceProcess.Output"/>).</param>
public sealed record ServiceProcessStart(
    string ServiceDirectory,
    string RunnerId,
    IReadOnlyDictionary<string, string?> Settings,
    string Token,
    string? LogFile = null)
{
    /// <summary>How long the node may take to answer <c>/readyz</c> with 200.</summary>
    public TimeSpan ReadyWithin { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the node may take to exit after SIGTERM before it is killed and the stop fails.</summary>
    public TimeSpan StopWithin { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// One node: <c>dotnet Scheduler.Service.dll</c> as its own process with its settings in the environment, as a
/// container runs it, on a free loopback port, started once it answers <c>/readyz</c>. It can be stopped as
/// Kubernetes stops a pod, killed, or frozen and thawed.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Process _process;
    private readonly ServiceProcessStart _start;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, ServiceProcessStart start, int port, DateTimeOffset spawnedAt)
    {
        _process = process;
        _start = start;
        BaseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        SpawnedAt = spawnedAt;
        Client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(BaseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", start.Token);
        if (start.LogFile is null)
        {
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
    }

    public string RunnerId => _start.RunnerId;

    public string BaseUrl { get; }

    public string? LogFile => _start.LogFile;

    /// <summary>A client for the node's lifetime, carrying the start's token.</summary>
    public HttpClient Client { get; }

    public DateTimeOffset SpawnedAt { get; }

    public DateTimeOffset ReadyAt { get; private set; }

    /// <summary>Process start to the first 200 from <c>/readyz</c>.</summary>
    public TimeSpan StartupTime => ReadyAt - SpawnedAt;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the node has written so far (its log file's content when it writes to one).</summary>
    public string Output
    {
        get
        {
            if (LogFile is not null)
            {
                return ReadLog(LogFile);
            }

            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A new client for this node carrying <paramref name="token"/> (the start's token unless another is given).</summary>
    public HttpClient CreateClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? _start.Token);
        return client;
    }

    /// <summary>Starts the node and waits until it is ready; fails with its output when it exits or is not ready in time.</summary>
    public static async Task<ServiceProcess> StartAsync(ServiceProcessStart start)
    {
        var port = Loopback.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["HOST"] = "127.0.0.1",
            ["JOB_RUNNER_ID"] = start.RunnerId,
            // The local RS256 issuer is refused in Production.
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (key, value) in start.Settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var spawnedAt = DateTimeOffset.UtcNow;
        var process = start.LogFile is null
            ? Launch(start.ServiceDirectory, "", environment)
            : LaunchLogging(start.ServiceDirectory, start.LogFile, environment);
        var node = new ServiceProcess(process, start, port, spawnedAt);
        var deadline = DateTimeOffset.UtcNow + start.ReadyWithin;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var output = node.Output;
                await node.DisposeAsync();
                throw new InvalidOperationException($"service process {start.RunnerId} exited during start-up:\n{output}");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri($"{node.BaseUrl}/readyz"));
                if (response.IsSuccessStatusCode)
                {
                    node.ReadyAt = DateTimeOffset.UtcNow;
                    return node;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(20);
        }

        var lastOutput = node.Output;
        await node.DisposeAsync();
        throw new TimeoutException($"service process {start.RunnerId} was not ready within {start.ReadyWithin.TotalSeconds:0} s:\n{lastOutput}");
    }

    /// <summary>Runs <c>dotnet Scheduler.Service.dll</c> with <paramref name="arguments"/> and the environment given, without waiting; its output is redirected.</summary>
    public static Process Launch(string serviceDirectory, string arguments, IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet", $"Scheduler.Service.dll {arguments}".Trim())
        {
            WorkingDirectory = serviceDirectory,
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

    /// <summary>Runs <c>dotnet Scheduler.Service.dll migrate</c> against <paramref name="connectionString"/> and waits for it.</summary>
    public static async Task MigrateAsync(string serviceDirectory, string connectionString)
    {
        using var process = Launch(serviceDirectory, "migrate", new Dictionary<string, string?> { ["ConnectionStrings__Scheduler"] = connectionString });
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"migrate exited {process.ExitCode}: {await output}{await errors}");
        }
    }

    /// <summary>Resident memory (VmRSS) in MiB, or NaN once the process is gone.</summary>
    public double ResidentMiB()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kb is null ? double.NaN : double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>SIGKILL (kill -9): the node dies mid-whatever, with no chance to record anything.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGSTOP: the node freezes (as in a long GC pause, CPU throttling or a hung host) with everything it holds.</summary>
    public Task FreezeAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT: a frozen node carries on where it stopped, unaware of the time it lost.</summary>
    public Task ThawAsync() => SignalAsync("-CONT");

    /// <summary>SIGTERM, as Kubernetes stops a pod, then waits for the process to exit; one that outlives the start's StopWithin is killed and the stop fails.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        await SignalAsync("-TERM");
        using var timeout = new CancellationTokenSource(_start.StopWithin);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"service process {RunnerId} did not exit within {_start.StopWithin.TotalSeconds:0} s of SIGTERM:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        _process.Dispose();
    }

    /// <summary>
    /// The node's output appended to <paramref name="logFile"/> by the shell it replaces (<c>exec</c>), so none of it
    /// passes through this process and the pid is the service's own.
    /// </summary>
    private static Process LaunchLogging(string serviceDirectory, string logFile, Dictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet Scheduler.Service.dll >>\"$SERVICE_LOG_FILE\" 2>&1"])
        {
            WorkingDirectory = serviceDirectory,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["SERVICE_LOG_FILE"] = logFile;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the service process");
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
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

    private static string ReadLog(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }
}
