namespace Scheduler.StandIns;

/// <summary>The control API under <c>/_standin</c>, for people running the stand-ins by hand.</summary>
internal static class ControlEndpoints
{
    public static void MapControlEndpoints(this IEndpointRouteBuilder app)
    {
        var control = app.MapGroup("/_standin");
        control.MapGet("/requests", (StandInState s) => s.Requests);
        control.MapPost("/reset", (StandInState s) => s.Reset());
        control.MapPost("/discoveries", (SeedRequest seed, StandInState s) => s.SeedDiscoveries(seed.Count, seed.FailEvery));
        control.MapPost("/recipients", (RecipientsRequest seed, StandInState s) => s.SeedDigestRecipients(seed.Count));
        control.MapGet("/deliveries", (StandInState s) => s.Deliveries);
        control.MapGet("/dead-letters", (StandInState s) => s.DeadLetters);
        control.MapPost("/dead-letters", (DeadLettersRequest add, StandInState s) =>
            Scheduler.Contracts.Downstream.DeadLetterKinds.Each.Contains(add.Kind)
                ? Results.Ok(s.AddDeadLetters(add.Kind, add.Count, add.Error ?? "stand-in failure"))
                : Results.BadRequest(new { error = "kind must be outbox or export" }));
        control.MapDelete("/dead-letters", (StandInState s) => s.ClearDeadLetters());
        control.MapPost("/faults", (FaultRequest f, StandInState s) => s.SetFault(f.Method, f.Path, new Fault(f.Status, f.DelayMs, f.Times, f.After)));
        control.MapDelete("/faults", (string method, string path, StandInState s) => s.ClearFault(method, path));
    }

    private sealed record SeedRequest(int Count, int FailEvery = 0);

    private sealed record RecipientsRequest(int Count);

    private sealed record DeadLettersRequest(string Kind, int Count, string? Error = null);

    private sealed record FaultRequest(string Method, string Path, int? Status = null, int DelayMs = 0, int? Times = null, int After = 0);
}
