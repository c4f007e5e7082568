using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.StandIns;
using Scheduler.Service;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// The real service, in this process, on a real Kestrel port on 127.0.0.1, against the test
/// database and the given stand-ins. Cron schedules are off unless a test turns one on.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServiceHost(WebApplication app, string runnerId)
    {
        _app = app;
        RunnerId = runnerId;
        Client = CreateClient(TestTokens.Admin);
    }

    /// <summary>Command-line arguments every test host starts with: not Production, so the local issuer is allowed.</summary>
    public static string[] Args { get; } = ["--environment", "Testing"];

    /// <summary>A client carrying an admin token.</summary>
    public HttpClient Client { get; }

    /// <summary>A client carrying <paramref name="token"/>, or none.</summary>
    public HttpClient CreateClient(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = TestTokens.Bearer(token);
        }

        return client;
    }

    /// <summary>The service's container, for reaching past the API where a test must (e.g. to submit a run directly).</summary>
    public IServiceProvider Services => _app.Services;

    public string RunnerId { get; }

    public static async Task<ServiceHost> StartAsync(string standInUrl, IDictionary<string, string?>? settings = null)
    {
        var runnerId = $"test-node-{Guid.NewGuid():N}"[..20];
        var values = BaseSettings(TestDatabase.ConnectionString, standInUrl, runnerId);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = SchedulerApp.Create(Args, configuration => configuration.AddInMemoryCollection(values));
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        return new ServiceHost(app, runnerId);
    }

    /// <summary>Settings every test host starts from: loopback, test database, no cron schedules, short waits.</summary>
    public static Dictionary<string, string?> BaseSettings(string connectionString, string standInUrl, string runnerId)
    {
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Scheduler"] = connectionString,
            ["JOB_RUNNER_ID"] = runnerId,
            ["Services:CoreApi:Username"] = StandInState.DefaultAdminUsername,
            ["Services:CoreApi:Password"] = StandInState.DefaultAdminPassword,
            ["Scheduler:IdleWaitTime"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Auth:Local:SigningKeyFile"] = TestTokens.KeyFile,
            // Tests that fire many triggers from one caller are not about the rate limit; the one that is sets its own.
            ["RateLimiting:MutationsPerWindow"] = "100000",
        };
        foreach (var service in ServiceNames.All)
        {
            // Every service is the stand-in; retries are quick, and circuits open only where a test asks.
            values[$"Services:{service}:BaseUrl"] = standInUrl;
            values[$"Services:{service}:AttemptTimeout"] = "00:00:05";
            values[$"Services:{service}:TotalTimeout"] = "00:00:15";
            values[$"Services:{service}:RetryDelay"] = "00:00:00.02";
            values[$"Services:{service}:BreakMinimumThroughput"] = "1000";
        }

        foreach (var definition in JobCatalog.Defaults.All)
        {
            // No schedules and no automatic retries unless a test asks: each test sees only the runs it starts.
            values[$"Jobs:{definition.Name}:Scheduled"] = "false";
            values[$"Jobs:{definition.Name}:Retries"] = "0";
        }

        return values;
    }

    /// <summary>
    /// Triggers <paramref name="jobType"/> through the API, as <paramref name="asUser"/> (an admin token with that subject)
    /// or as the default admin, and returns the execution's id (the answer must be 202).
    /// </summary>
    public async Task<Guid> TriggerAsync(string jobType, string? asUser = null)
    {
        using var client = asUser is null ? null : CreateClient(TestTokens.AdminAs(asUser));
        using var response = await (client ?? Client).PostAsJsonAsync("/api/jobs/trigger", new { jobType });
        if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"trigger {jobType} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
    }

    /// <summary>Triggers <paramref name="jobType"/> and waits until the run has finished, whichever way.</summary>
    public async Task<JobExecution> RunAsync(string jobType, TimeSpan? timeout = null)
    {
        var id = await TriggerAsync(jobType);
        return await Eventually.Until(() => GetExecutionAsync(id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            timeout ?? TimeSpan.FromSeconds(30), $"execution {id} of {jobType} to finish");
    }

    public async Task<JobExecution> GetExecutionAsync(Guid id) =>
        (await Client.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!;

    public Task<JobExecution> WaitForStatusAsync(Guid id, ExecutionStatus status, TimeSpan? timeout = null) =>
        Eventually.Until(() => GetExecutionAsync(id), e => e.Status == status, timeout ?? TimeSpan.FromSeconds(20), $"execution {id} to be {status.ToText()}");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
