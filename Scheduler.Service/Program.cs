using Scheduler.Service;
using Scheduler.Service.Data;

if (args is ["migrate", .. var rest])
{
    return await MigrateCommand.RunAsync(rest);
}

var app = SchedulerApp.Create(args);
await app.RunAsync();
return 0;
