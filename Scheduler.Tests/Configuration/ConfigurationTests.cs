using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Configuration;

public sealed class ConfigurationTests
{
    [TestCase("Jobs:crawl_pending:Cron", "every minute", TestName = "StartUp_InvalidCron_StopsNamingTheKey")]
    [TestCase("Jobs:crawl_pending:TimeZone", "Mars/Olympus_Mons", TestName = "StartUp_UnknownTimeZone_StopsNamingTheKey")]
    [TestCase("Services:Crawler:BaseUrl", "crawler-without-scheme", TestName = "StartUp_RelativeServiceUrl_StopsNamingTheKey")]
    [TestCase("Scheduler:MaxConcurrency", "lots-secret-ish", TestName = "StartUp_UnconvertibleNumber_StopsNamingTheKeyNotTheValue")]
    [TestCase("Scheduler:MaxBatchSize", "21", TestName = "StartUp_BatchLargerThanTheThreads_StopsNamingTheKey")]
    [TestCase("Jobs:crawl_pending:BatchSize", "-7", TestName = "StartUp_BatchSizeOutOfRange_StopsNamingTheKey")]
    [TestCase("Jobs:weekly_digest:EmailBatchSize", "-3", TestName = "StartUp_DigestBatchSizeOutOfRange_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:ExecutionRetentionDays", "-9", TestName = "StartUp_RetentionOutOfRange_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:ExecutionRetentionDays", "7", TestName = "StartUp_ExecutionRetentionBelowTheFloor_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:InteractionRetentionDays", "14", TestName = "StartUp_InteractionRetentionBelowTheFloor_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:AuditRetentionDays", "29", TestName = "StartUp_AuditRetentionBelowTheFloor_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:DigestDeliveryRetentionDays", "13", TestName = "StartUp_DigestDeliveryRetentionNotLongerThanADigestWeek_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:FailedArchiveRetentionDays", "364", TestName = "StartUp_FailedArchiveRetentionShorterThanTheArchives_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:FailedExecutionRetentionDays", "89", TestName = "StartUp_FailedExecutionRetentionShorterThanTheExecutions_StopsNamingTheKey")]
    [TestCase("Jobs:cleanup_old_data:DeleteBatchSize", "-5", TestName = "StartUp_DeleteBatchSizeOutOfRange_StopsNamingTheKey")]
    [TestCase("Jobs:email_scan:Timeout", "forever-ish", TestName = "StartUp_UnconvertibleTimeout_StopsNamingTheKey")]
    [TestCase("Jobs:email_scan:Path", "https://elsewhere.example/v1/admin/email-scan", TestName = "StartUp_HttpCallPathWithAHost_StopsNamingTheKey")]
    [TestCase("Jobs:email_scan:Service", "Mailbox", TestName = "StartUp_HttpCallUnknownService_StopsNamingTheKey")]
    [TestCase("Services:Email:TotalTimeout", "00:00:01", TestName = "StartUp_TotalTimeoutNotAboveAttemptTimeout_StopsNamingTheKey")]
    public void StartUp_WithABadSetting_StopsWithTheKeyNamed(string key, string value)
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings[key] = value;

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        var error = act.Should().Throw<OptionsValidationException>().Which.Message;
        error.Should().Contain(key.Split(':')[^1]).And.Contain(key[..key.LastIndexOf(':')]);
        error.Should().NotContain(value, "a setting's value may be a secret");
    }

    [Test]
    public void StartUp_WithARetentionBelowTheFloor_SaysWhichSettingAllowsIt()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings["Jobs:cleanup_old_data:ExecutionRetentionDays"] = "1";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Be(
            "Jobs:cleanup_old_data:ExecutionRetentionDays: must be at least 30 days; set Jobs:cleanup_old_data:AllowShortRetention=true to allow a shorter retention.");
    }

    [Test]
    public async Task StartUp_WithARetentionBelowTheFloor_AndAllowShortRetention_Starts()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings["Jobs:cleanup_old_data:ExecutionRetentionDays"] = "1";
        settings["Jobs:cleanup_old_data:InteractionRetentionDays"] = "1";
        settings["Jobs:cleanup_old_data:AllowShortRetention"] = "true";

        await using var app = SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        app.Services.GetRequiredService<IOptions<Scheduler.Jobs.Cleanup.CleanupOptions>>().Value.ExecutionRetentionDays.Should().Be(1);
    }

    [TestCase("Services:CoreApi:BaseUrl", "API_BASE")]
    [TestCase("Services:CoreApi:Username", "ADMIN_BASIC_USERNAME")]
    [TestCase("Services:CoreApi:Password", "ADMIN_BASIC_PASSWORD")]
    [TestCase("Services:Email:BaseUrl", "EMAIL_SERVICE_URL")]
    public void StartUp_WithoutWhatAnEnabledJobCalls_StopsNamingTheKeyAndTheVariable(string key, string variable)
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings[key] = "";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith($"{key}: is required ({variable})");
    }

    [Test]
    public void StartUp_WithAnUnknownJobSection_StopsSayingHowToDeclareOne()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings["Jobs:crawl_pendng:BatchSize"] = "10";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>()
            .WithMessage("*Jobs:crawl_pendng: not a built-in job type; set Jobs:crawl_pendng:Kind to HttpCall*");
    }

    [Test]
    public void StartUp_WithADeclaredJobTypeWhoseNameIsNotAnIdentifier_StopsNamingIt()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings["Jobs:Search-Reindex:Kind"] = "HttpCall";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().WithMessage("*Jobs:Search-Reindex: a job type name is 1 to 64 characters of a-z*");
    }

    [Test]
    public void StartUp_WithSeveralBadSettings_ReportsThemAllAtOnce()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings["Jobs:weekly_digest:Cron"] = "sometimes";
        settings["Jobs:crawl_pending:MaxBatchesPerRun"] = "0";
        settings["Services:User:BaseUrl"] = "user-service";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.StartsWith("Jobs:weekly_digest:Cron", StringComparison.Ordinal))
            .And.Contain(f => f.StartsWith("Jobs:crawl_pending:MaxBatchesPerRun", StringComparison.Ordinal))
            .And.Contain(f => f.StartsWith("Services:User:BaseUrl", StringComparison.Ordinal));
    }

    [Test]
    public void StartUp_WithTheCoreApiJobsDisabled_NeedsNoCoreApiSettings()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "config-test");
        settings["Services:CoreApi:BaseUrl"] = "";
        settings["Services:CoreApi:Username"] = "";
        settings["Services:CoreApi:Password"] = "";
        foreach (var type in new[] { "export_dlq_replay", "outbox_dlq_replay", "email_scan", "retention_cleanup", "admin_cleanup", "dlq_depth" })
        {
            settings[$"Jobs:{type}:Enabled"] = "false";
        }

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().NotThrow();
    }

    [Test]
    public void StartUp_WithoutAConnectionString_StopsNamingIt()
    {
        var settings = ServiceHost.BaseSettings("", "http://127.0.0.1:9", "config-test");

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().WithMessage("*ConnectionStrings:Scheduler*");
    }
}
