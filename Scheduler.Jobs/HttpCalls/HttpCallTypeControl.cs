using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Scheduling;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.HttpCalls;

/// <summary>
/// HTTP-call job types defined at run time: define, change, delete, disable and enable. Each change is one
/// transaction: the definition row, the type's durable Quartz job and its <c>default</c> cron trigger (the enlisted
/// store), the audit row and the live event, together or not at all. Every node reads the table periodically, and
/// before a run of a type defined here (<see cref="RunStartingAsync"/>). Types configuration defines are never changed here.
/// </summary>
public sealed partial class HttpCallTypeControl(
    NpgsqlDataSource dataSource,
    HttpCallTypeStore store,
    JobCatalog catalog,
    DownstreamEndpoints endpoints,
    ISchedulerFactory schedulers,
    ScheduleManager schedules,
    AuditLog audit,
    SchedulerTelemetry telemetry,
    TimeProvider time,
    ILogger<HttpCallTypeControl> logger) : IDisposable
{
    private const string ScheduleLockSql = "SELECT pg_advisory_xact_lock(@ScheduleLock)";

    private const string DropScheduleStateSql = """
        DELETE FROM schedule_overrides WHERE job_type = @name;
        DELETE FROM schedule_pauses WHERE job_type = @name;
        DELETE FROM job_schedules WHERE job_type = @name
        """;

    private readonly SemaphoreSlim _reloading = new(1, 1);

    /// <summary>
    /// Re-reads the table into this node's catalog (one read at a time, so the last read is the newest). The catalog
    /// keeps what it had when the read fails.
    /// </summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            var rows = await store.AllAsync(cancellationToken);
            var before = catalog.All.Where(d => d.DefinedAtRunTime).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            catalog.Define(rows.Select(r => r.ToDefinition()));
            var added = rows.Where(r => !before.Contains(r.Name)).Select(r => r.Name).ToList();
            foreach (var name in added)
            {
                telemetry.StartSeries(name);
            }

            if (rows.Count != before.Count || added.Count > 0)
            {
                LogLoaded(rows.Count);
            }
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>
    /// Before a run of <paramref name="jobType"/> starts on this node: a type defined through the API, or one this node
    /// does not know yet (defined on another node a moment ago), is read from the table, so the run makes the call
    /// last committed. Types configuration defines cost nothing here.
    /// </summary>
    public async Task RunStartingAsync(string jobType, CancellationToken cancellationToken)
    {
        if (catalog.TryGet(jobType, out var known) && !known.DefinedAtRunTime)
        {
            return;
        }

        try
        {
            await ReloadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The run goes on with what this node knows; the claim that follows meets the same database.
            LogReloadBeforeRunFailed(ex, jobType);
        }
    }

    public void Dispose() => _reloading.Dispose();

    /// <summary>Defines a new type from <paramref name="request"/> (its name must not be taken).</summary>
    public async Task<HttpCallTypeResult> DefineAsync(HttpCallTypeRequest request, Requester actor, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim() ?? "";
        if (catalog.IsConfigured(name))
        {
            return await RefuseConfiguredAsync(AuditActions.TypeDefine, name, actor);
        }

        var now = time.GetUtcNow();
        if (HttpCallTypeValidation.Validate(request, name, endpoints, now, out var errors) is not { } valid)
        {
            return new HttpCallTypeResult.Invalid(errors);
        }

        var row = valid with { CreatedBy = actor.Actor, CreatedAt = now, ChangedBy = actor.Actor, ChangedAt = now };
        return await InTransactionAsync(async (connection, transaction, scheduler) =>
        {
            if (!await HttpCallTypeStore.InsertAsync(connection, transaction, row, cancellationToken))
            {
                return new HttpCallTypeResult.Conflict("The job type already exists",
                    $"{name} is already defined; PUT /api/job-types/{name} changes it.");
            }

            var definition = await ApplyAsync(scheduler, row, cancellationToken);
            await audit.RecordAsync(connection, transaction, Record(AuditActions.TypeDefine, actor, name, new { after = Shown(row) }), cancellationToken);
            await HttpCallTypeStore.AnnounceAsync(connection, transaction, name, "defined", cancellationToken);
            return new HttpCallTypeResult.Done(definition);
        }, cancellationToken);
    }

    /// <summary>Replaces the definition of <paramref name="name"/> with <paramref name="request"/>; the next run calls what it says.</summary>
    public async Task<HttpCallTypeResult> ChangeAsync(string name, HttpCallTypeRequest request, Requester actor, CancellationToken cancellationToken)
    {
        if (catalog.IsConfigured(name))
        {
            return await RefuseConfiguredAsync(AuditActions.TypeChange, name, actor);
        }

        if (request.Name is { } renamed && renamed != name)
        {
            return new HttpCallTypeResult.Invalid(new Dictionary<string, string[]> { ["name"] = ["A type cannot be renamed; leave it out or repeat the name in the path."] });
        }

        var now = time.GetUtcNow();
        if (HttpCallTypeValidation.Validate(request, name, endpoints, now, out var errors) is not { } valid)
        {
            return new HttpCallTypeResult.Invalid(errors);
        }

        return await InTransactionAsync(async (connection, transaction, scheduler) =>
        {
            if (await HttpCallTypeStore.LockAsync(connection, transaction, name, cancellationToken) is not { } before)
            {
                return new HttpCallTypeResult.NotFound(name);
            }

            var row = valid with { Enabled = before.Enabled, CreatedBy = before.CreatedBy, CreatedAt = before.CreatedAt, ChangedBy = actor.Actor, ChangedAt = now };
            await HttpCallTypeStore.UpdateAsync(connection, transaction, row, cancellationToken);
            var definition = await ApplyAsync(scheduler, row, cancellationToken);
            await audit.RecordAsync(connection, transaction, Record(AuditActions.TypeChange, actor, name, new { before = Shown(before), after = Shown(row) }), cancellationToken);
            await HttpCallTypeStore.AnnounceAsync(connection, transaction, name, "changed", cancellationToken);
            return new HttpCallTypeResult.Done(definition);
        }, cancellationToken);
    }

    /// <summary>Switches the type off (no schedule fires it, no trigger is accepted) or on again.</summary>
    public async Task<HttpCallTypeResult> SetEnabledAsync(string name, bool enabled, Requester actor, CancellationToken cancellationToken)
    {
        var action = enabled ? AuditActions.TypeEnable : AuditActions.TypeDisable;
        if (catalog.IsConfigured(name))
        {
            return await RefuseConfiguredAsync(action, name, actor);
        }

        return await InTransactionAsync(async (connection, transaction, scheduler) =>
        {
            if (await HttpCallTypeStore.LockAsync(connection, transaction, name, cancellationToken) is not { } before)
            {
                return new HttpCallTypeResult.NotFound(name);
            }

            var row = before with { Enabled = enabled, ChangedBy = actor.Actor, ChangedAt = time.GetUtcNow() };
            await HttpCallTypeStore.UpdateAsync(connection, transaction, row, cancellationToken);
            var definition = await ApplyAsync(scheduler, row, cancellationToken);
            await audit.RecordAsync(connection, transaction, Record(action, actor, name, new { before = new { before.Enabled }, after = new { row.Enabled } }), cancellationToken);
            await HttpCallTypeStore.AnnounceAsync(connection, transaction, name, enabled ? "enabled" : "disabled", cancellationToken);
            return new HttpCallTypeResult.Done(definition);
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes the type with its Quartz job and every trigger of it, and its schedule override and pause; its
    /// executions stay in the history. Refused while one of its runs is scheduled, pending or running.
    /// </summary>
    public async Task<HttpCallTypeResult> DeleteAsync(string name, Requester actor, CancellationToken cancellationToken)
    {
        if (catalog.IsConfigured(name))
        {
            return await RefuseConfiguredAsync(AuditActions.TypeDelete, name, actor);
        }

        return await InTransactionAsync(async (connection, transaction, scheduler) =>
        {
            if (await HttpCallTypeStore.LockAsync(connection, transaction, name, cancellationToken) is not { } before)
            {
                return new HttpCallTypeResult.NotFound(name);
            }

            // The job first: it takes the store's trigger lock, so a run handed over meanwhile either committed
            // before (and is seen below) or waits, then finds no job and is rolled back with its row.
            await scheduler.DeleteJob(new JobKey(name, JobCatalog.JobGroup), cancellationToken);
            if (await HttpCallTypeStore.ActiveRunAsync(connection, transaction, name, cancellationToken) is { } active)
            {
                return new HttpCallTypeResult.Conflict("The job type has a run in progress",
                    $"Execution {active} of {name} is scheduled, pending or running; cancel it (POST /api/jobs/{active}/cancel) or let it finish, then delete the type.");
            }

            await HttpCallTypeStore.DeleteAsync(connection, transaction, name, cancellationToken);
            await connection.ExecuteAsync(DropScheduleStateSql, new { name }, cancellationToken, transaction);
            await audit.RecordAsync(connection, transaction, Record(AuditActions.TypeDelete, actor, name, new { before = Shown(before) }), cancellationToken);
            await HttpCallTypeStore.AnnounceAsync(connection, transaction, name, "deleted", cancellationToken);
            return new HttpCallTypeResult.Deleted(name);
        }, cancellationToken);
    }

    /// <summary>The type's durable job (recoverable as defined) and its <c>default</c> cron trigger, as its row says.</summary>
    private async Task<JobDefinition> ApplyAsync(IScheduler scheduler, HttpCallTypeRow row, CancellationToken cancellationToken)
    {
        var definition = row.ToDefinition();
        var job = JobBuilder.Create<HttpCallJob>()
            .WithIdentity(definition.JobKey)
            .StoreDurably()
            .RequestRecovery(definition.Recoverable)
            .WithDescription(definition.Description)
            .Build();
        await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);
        if (await schedules.ApplyAsync(await schedules.EffectiveAsync(definition, cancellationToken), cancellationToken) == ScheduleChange.Invalid)
        {
            throw new SchedulerException($"the schedule of {definition.Name} cannot be applied");
        }

        return definition;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction, with Quartz's store enlisted and the schedule lock held
    /// (start-up reconciliation takes it too); committed only when the work is carried out.
    /// </summary>
    private async Task<HttpCallTypeResult> InTransactionAsync(
        Func<NpgsqlConnection, NpgsqlTransaction, IScheduler, Task<HttpCallTypeResult>> work, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        HttpCallTypeResult result;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(ScheduleLockSql, new { ScheduleStore.ScheduleLock }, cancellationToken, transaction);
            using (scheduler.EnlistTransaction(transaction))
            {
                result = await work(connection, transaction, scheduler);
                if (result is not (HttpCallTypeResult.Done or HttpCallTypeResult.Deleted))
                {
                    return result;
                }

                await transaction.CommitAsync(CancellationToken.None);
            }
        }

        // This node knows at once; the others when the notification reaches them. The change is committed whatever
        // happens here: a failed read is logged, and the notification (heard here too) or the periodic read catches up.
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogReloadAfterChangeFailed(ex);
        }

        return result;
    }

    private async Task<HttpCallTypeResult> RefuseConfiguredAsync(string action, string name, Requester actor)
    {
        var key = $"{JobCatalog.Section}:{name}";
        await audit.RecordAfterTheFactAsync(new AuditRecord(action, actor.Actor, AuditTargetTypes.JobType, name, name, actor.RemoteAddress,
            AuditOutcomes.Rejected, new { reason = "defined in configuration", configurationKey = key }), logger);
        return new HttpCallTypeResult.ConfigurationOwned(name, key);
    }

    private static AuditRecord Record(string action, Requester actor, string name, object details) =>
        new(action, actor.Actor, AuditTargetTypes.JobType, name, name, actor.RemoteAddress, AuditOutcomes.Accepted, details);

    /// <summary>The definition as an audit row keeps it.</summary>
    private static object Shown(HttpCallTypeRow row) => new
    {
        row.Service,
        row.Method,
        row.Path,
        Body = row.Body is null ? (System.Text.Json.JsonElement?)null : System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(row.Body),
        row.ItemsField,
        row.TimeoutSeconds,
        row.Retries,
        row.Recoverable,
        row.Description,
        row.Enabled,
        Schedule = row.Cron is null ? null : new { row.Cron, row.TimeZone },
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A job type change was committed, but this node could not read the job types again at once; it will shortly")]
    private partial void LogReloadAfterChangeFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the job types before a run of {JobType}; it runs with the definition this node knows")]
    private partial void LogReloadBeforeRunFailed(Exception exception, string jobType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job types defined through the API: {Count} now in this node's catalog")]
    private partial void LogLoaded(int count);
}

/// <summary>What a <see cref="HttpCallTypeControl"/> use case came to; the API answers each with its own status.</summary>
public abstract record HttpCallTypeResult
{
    private HttpCallTypeResult()
    {
    }

    /// <summary>Carried out, audited and announced: the type as it now is.</summary>
    public sealed record Done(JobDefinition Definition) : HttpCallTypeResult;

    /// <summary>Deleted, audited and announced.</summary>
    public sealed record Deleted(string Name) : HttpCallTypeResult;

    /// <summary>Refused for what was asked, by field; nothing changed.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : HttpCallTypeResult;

    /// <summary>No type of that name was defined through the API.</summary>
    public sealed record NotFound(string Name) : HttpCallTypeResult;

    /// <summary>Configuration defines the type (under <paramref name="ConfigurationKey"/>): read-only through the API.</summary>
    public sealed record ConfigurationOwned(string Name, string ConfigurationKey) : HttpCallTypeResult;

    /// <summary>Not possible in the type's present state; nothing changed.</summary>
    public sealed record Conflict(string Title, string Detail) : HttpCallTypeResult;
}
