using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Notifications;

/// <summary>A configured notification is checked at start-up as the API checks one: a bad one stops the service, naming the key, never the value.</summary>
public sealed class NotificationConfigurationTests
{
    private const string Ops = "Jobs:email_scan:Notifications:ops";

    [TestCase("Url", "ftp://hooks.example/ops", TestName = "StartUp_ANotificationUrlThatIsNotHttp_StopsNamingTheKey")]
    [TestCase("Events", "failure,exploded", TestName = "StartUp_AnUnknownNotificationEvent_StopsNamingTheKey")]
    [TestCase("Secret", "short-secret", TestName = "StartUp_AShortWebhookSecret_StopsNamingTheKeyNotTheValue")]
    [TestCase("Kind", "carrier-pigeon", TestName = "StartUp_AnUnknownNotificationKind_StopsNamingTheKey")]
    public void StartUp_WithABadNotification_StopsWithTheKeyNamed(string setting, string value)
    {
        var settings = WithWebhook();
        settings[$"{Ops}:{setting}"] = value;

        var failures = StartUpFailures(settings);

        failures.Should().ContainSingle().Which.Should().StartWith($"{Ops}:{setting}:").And.NotContain(value);
    }

    [Test]
    public void StartUp_ANotificationToAHostOutsideTheAllowedHosts_StopsNamingTheKey()
    {
        var settings = WithWebhook();
        settings["Notifications:AllowedHosts:0"] = "*.hooks.example";

        StartUpFailures(settings).Should().ContainSingle().Which.Should().StartWith($"{Ops}:Url:").And.Contain("AllowedHosts");
    }

    private static Dictionary<string, string?> WithWebhook()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings[$"{Ops}:Kind"] = "webhook";
        settings[$"{Ops}:Url"] = "http://127.0.0.1:9/hooks/ops";
        settings[$"{Ops}:Events"] = "failure";
        settings[$"{Ops}:Secret"] = Receivers.Secret;
        return settings;
    }

    private static IEnumerable<string> StartUpFailures(Dictionary<string, string?> settings)
    {
        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));
        return act.Should().Throw<OptionsValidationException>().Which.Failures;
    }
}
