using Npgsql;
using Quartz;
using Scheduler.Jobs;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>Quartz on the clustered PostgreSQL store, the catalog's jobs, and the cron schedule reconciled with configuration.</summary>
    public static WebApplicationBuilder AddScheduling(this WebApplicationBuilder builder)
    {
        var options = builder.Services.AddValidatedOptions<SchedulerOptions>(builder.Configuration, SchedulerOptions.Section);
        var runner = RunnerIdentity.From(builder.Configuration);

        builder.Services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = options.InstanceName;
                scheduler.InstanceId = runner.Id;
                scheduler.IdleWaitTime = options.IdleWaitTime;
                scheduler.MaxBatchSize = options.MaxBatchSize == 0 ? options.MaxConcurrency : options.MaxBatchSize;
                scheduler.BatchTriggerAcquisitionFireAheadTimeWindow = options.BatchFireAheadWindow;
                // GracefulShutdown has already given running jobs their grace; what is left is interrupted.
                scheduler.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
            });
            quartz.UseDefaultThreadPool(options.MaxConcurrency);
            quartz.UsePersistentStore(store =>
            {
                // Connections come from the background pool registered by AddSchedulerStore, apart from API traffic.
                store.UsePostgres(dataSource => dataSource.DataSourceServiceKey = SchedulerDataSources.Background);
                store.UseClustering(cluster =>
                {
                    cluster.CheckinInterval = options.CheckinInterval;
                    cluster.CheckinMisfireThreshold = options.CheckinMisfireThreshold;
                });
                store.ConfigureStore(ado =>
                {
                    ado.TablePrefix = "qrtz_";
                    ado.MisfireThreshold = options.MisfireThreshold;
                    // The schema comes from database/ migrations; Quartz only checks it.
                    ado.SchemaProvisioning = SchemaProvisioning.Validate;
                    // A recoverable job interrupted by shutdown runs again on another node, as after a crash.
                    ado.RecoverFiringsCancelledByShutdown = true;
                    // A run's pending row, its audit row and its trigger commit in one transaction (RunLifecycle).
                    ado.AcceptEnlistedTransactions = true;
                });
            });
            quartz.AddCatalogJobs(builder.Services.GetJobCatalog());
        });

        var recovery = builder.Services.AddValidatedOptions<RecoveryOptions>(builder.Configuration, RecoveryOptions.Section);
        builder.Services.AddValidatedOptions<RunOptions>(builder.Configuration, RunOptions.Section);
        builder.Services.AddSingleton<RunningExecutions>();
        builder.Services.AddSingleton<ExecutionSubmitter>();
        builder.Services.AddSingleton<JobTypeHealthStore>();
        // The same stores on the background pool, for heartbeats and readiness: API traffic cannot delay them.
        builder.Services.AddKeyedSingleton(SchedulerDataSources.Background,
            (sp, key) => new JobTypeHealthStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(key)));
        // The job types defined through the API are in the catalog before Quartz starts firing their triggers.
        builder.Services.AddSingleton<HttpCallTypeSync>();
        builder.Services.AddHostedService(services => services.GetRequiredService<HttpCallTypeSync>());
        builder.Services.AddSingleton<Events.EventRelay>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Events.EventRelay>());
        // Hosted services stop in reverse order: GracefulShutdown drains before Quartz shuts down.
        builder.Services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<CronScheduleReconciler>();
        builder.Services.AddHostedService<LeaseKeeper>();
        builder.Services.AddHostedService<ExecutionSupervisor>();
        builder.Services.AddHostedService<GracefulShutdown>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = recovery.ShutdownGrace + TimeSpan.FromSeconds(20));
        return builder;
    }
}
