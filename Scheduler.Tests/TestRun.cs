using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests;

/// <summary>Once per run, for every test: a fresh database migrated the way production migrates; dropped at the end.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeSetUp]
    public Task CreateDatabase() => TestDatabase.CreateAndMigrateAsync();

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        await TestDatabase.DropAllAsync();
        TestTokens.DeleteKeyFile();
    }
}
