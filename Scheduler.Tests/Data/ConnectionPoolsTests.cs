using FluentAssertions;
using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Service.Data;

namespace Scheduler.Tests.Data;

/// <summary>What the node's pools are sized from, and what they are called in pg_stat_activity.</summary>
public sealed class ConnectionPoolsTests
{
    private const string Server = "Host=127.0.0.1;Port=5432;Username=scheduler;Password=secret;Database=scheduler";

    [Test]
    public async Task ThePools_Default_To30And10_PlusOneListenConnection_EachWithItsOwnApplicationName()
    {
        var pools = ConnectionPools.From(Server, new DatabaseOptions());
        await using var api = pools.CreateApi();
        await using var background = pools.CreateBackground();
        await using var listen = pools.CreateListen();

        Settings(api).Should().Be((30, ConnectionPools.ApiApplicationName));
        Settings(background).Should().Be((10, ConnectionPools.BackgroundApplicationName));
        Settings(listen).Should().Be((1, ConnectionPools.ListenApplicationName));
        pools.Total.Should().Be(41);
    }

    [Test]
    public async Task AMaximumPoolSizeInTheConnectionString_SizesTheApiPoolOnly()
    {
        var pools = ConnectionPools.From(Server + ";Maximum Pool Size=200;Minimum Pool Size=20", new DatabaseOptions { BackgroundPoolSize = 8 });
        await using var api = pools.CreateApi();
        await using var background = pools.CreateBackground();

        Settings(api).MaxPoolSize.Should().Be(200);
        Settings(background).MaxPoolSize.Should().Be(8, "the background pool is Database:BackgroundPoolSize, whatever the connection string says");
        pools.Total.Should().Be(209);
    }

    [Test]
    public void APoolSizeInBothPlaces_ThatDiffers_StopsStartUp_NamingTheKey()
    {
        var start = () => ConnectionPools.From(Server + ";MaxPoolSize=50", new DatabaseOptions { MaxPoolSize = 40 });

        start.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.StartsWith("Database:MaxPoolSize:", StringComparison.Ordinal));
    }

    private static (int MaxPoolSize, string? ApplicationName) Settings(NpgsqlDataSource source)
    {
        var csb = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        return (csb.MaxPoolSize, csb.ApplicationName);
    }
}
