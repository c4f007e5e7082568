using Scheduler.StandIns;

// Stand-alone: dotnet run --project Scheduler.StandIns -- --urls http://127.0.0.1:7101 --StandIns:PendingDiscoveries=25 --StandIns:DigestRecipients=3
var url = args.SkipWhile(a => a != "--urls").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:7101";
await using var standIns = await StandInApp.StartAsync(url, args);
Console.WriteLine($"stand-ins listening on {standIns.BaseUrl}");
await standIns.WaitForShutdownAsync();
