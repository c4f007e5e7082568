using Scheduler.StandIns;

namespace Scheduler.Tests.Infrastructure;

/// <summary>A fixture with the stand-ins and one in-process service for all its tests, over an emptied database.</summary>
public abstract class ServiceFixture
{
    protected StandInApp StandIns { get; private set; } = null!;

    protected ServiceHost Service { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartServiceAndStandIns()
    {
        await TestDatabase.ResetAsync();
        StandIns = await StandInApp.StartAsync();
        Service = await ServiceHost.StartAsync(StandIns.BaseUrl, Settings);
        await OnStartedAsync();
    }

    [OneTimeTearDown]
    public async Task StopServiceAndStandIns()
    {
        await Service.DisposeAsync();
        await StandIns.DisposeAsync();
    }

    /// <summary>Settings on top of <see cref="ServiceHost.BaseSettings"/> for this fixture's service.</summary>
    protected virtual IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>Runs once the service is up, before the fixture's first test.</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;
}
