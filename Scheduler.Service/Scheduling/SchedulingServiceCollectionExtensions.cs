using Quartz;
using Scheduler.Jobs;
using Scheduler.Jobs.Configuration;
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
            });
            quartz.UseDefaultThreadPool(options.MaxConcurrency);
            quartz.UsePersistentStore(store =>
            {
                // Connections come from the NpgsqlDataSource registered by AddSchedulerStore.
                store.UsePostgres(dataSource => dataSource.UseRegisteredDataSource = true);
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
                });
            });
            quartz.AddCatalogJobs(builder.Services.GetJobCatalog());
        });

        builder.Services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<CronScheduleReconciler>();
        return builder;
    }
}
