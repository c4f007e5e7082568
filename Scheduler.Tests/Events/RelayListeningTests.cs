using Dapper;
using FluentAssertions;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Events;

/// <summary>
/// A node's event relay listens for notifications only while a live-view client is connected: PostgreSQL hands each
/// notification to every listening session in a transaction of its own, which a node with no client would pay for
/// every run in the cluster.
/// </summary>
public sealed class RelayListeningTests
{
    private const string ListenSession = """
        SELECT coalesce(query, '') FROM pg_stat_activity
         WHERE application_name = 'scheduler-service-listen' AND datname = current_database()
        """;

    [Test]
    public async Task TheRelay_ListensOnlyWhileAClientIsConnected()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var standIns = await StandInApp.StartAsync();
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a",
            new Dictionary<string, string?> { ["ConnectionStrings:Scheduler"] = database.ConnectionString });
        await using var connection = await database.OpenAsync();
        async Task<string> LastStatementAsync() => await connection.ExecuteScalarAsync<string>(ListenSession) ?? "(no listen session)";

        await Task.Delay(TimeSpan.FromSeconds(1));
        (await LastStatementAsync()).Should().NotStartWith("LISTEN", "no client is connected yet");

        using var watcher = node.CreateClient(TestTokens.Reader);
        await using (SseClient.Open(watcher))
        {
            await Eventually.Until(LastStatementAsync, q => q.StartsWith("LISTEN", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the relay to listen");
        }

        await Eventually.Until(LastStatementAsync, q => q.StartsWith("UNLISTEN", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
            "the relay to stop listening once the client has gone");
    }
}
