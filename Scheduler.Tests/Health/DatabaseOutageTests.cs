using System.Net;
using System.Text.Json;
using FluentAssertions;
using Npgsql;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Health;

/// <summary>The database goes away under a running service (its connections reset, new ones refused) and comes back.</summary>
public sealed class DatabaseOutageTests
{
    [Test]
    public async Task Readiness_Is503WhileTheDatabaseIsUnreachable_LivenessStays200_AndReadinessReturns()
    {
        await TestDatabase.ResetAsync();
        var database = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        await using var passage = TcpPassage.Open(database.Port);
        database.Port = passage.Port;
        database.Timeout = 2;
        await using var standIns = await StandInApp.StartAsync();
        await using var service = await ServiceHost.StartAsync(standIns.BaseUrl, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Scheduler"] = database.ConnectionString,
            ["Heartbeat:Required"] = "true",
        });
        await Eventually.Until(() => service.Client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "readiness once the scheduler has started");

        passage.Cut();
        var down = await Eventually.Until(() => service.Client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(20), "readiness to fail while the database is unreachable");
        var liveness = await service.Client.GetAsync("/health");
        passage.Restore();
        await Eventually.Until(() => service.Client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "readiness to return with the database");

        using var json = JsonDocument.Parse(await down.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "database").GetProperty("status").GetString().Should().Be("fail");
        liveness.StatusCode.Should().Be(HttpStatusCode.OK, "liveness never touches the database");
    }
}
