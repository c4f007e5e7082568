using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests;

public sealed class ConfigurationTests
{
    [TestCase("Jobs:crawl_pending:Cron", "every minute", TestName = "StartUp_InvalidCron_StopsNamingTheKey")]
    [TestCase("Jobs:crawl_pending:TimeZone", "Mars/Olympus_Mons", TestName = "StartUp_UnknownTimeZone_StopsNamingTheKey")]
    [TestCase("Services:Crawler:BaseUrl", "crawler-without-scheme", TestName = "StartUp_RelativeServiceUrl_StopsNamingTheKey")]
    [TestCase("Scheduler:MaxConcurrency", "lots-secret-ish", TestName = "StartUp_UnconvertibleNumber_StopsNamingTheKeyNotTheValue")]
    [TestCase("Jobs:crawl_pending:BatchSize", "-7", TestName = "StartUp_BatchSizeOutOfRange_StopsNamingTheKey")]
    public void StartUp_WithABadSetting_StopsWithTheKeyNamed(string key, string value)
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings[key] = value;

        var act = () => SchedulerApp.Create([], configuration => configuration.AddInMemoryCollection(settings));

        var error = act.Should().Throw<OptionsValidationException>().Which.Message;
        error.Should().Contain(key.Split(':')[^1]).And.Contain(key[..key.LastIndexOf(':')]);
        error.Should().NotContain(value, "a setting's value may be a secret");
    }

    [Test]
    public void StartUp_WithoutAConnectionString_StopsNamingIt()
    {
        var settings = ServiceHost.BaseSettings("", "http://127.0.0.1:9", "config-test");

        var act = () => SchedulerApp.Create([], configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().WithMessage("*ConnectionStrings:Scheduler*");
    }
}
