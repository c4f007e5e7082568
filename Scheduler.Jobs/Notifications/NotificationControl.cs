using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Notifications;

/// <summary>
/// Creating, replacing and deleting notifications through the API: checked (<see cref="NotificationRules"/>, the
/// catalog's types, configuration's ownership), written with its audit row in one transaction. Configuration-owned
/// notifications are read-only here (409 naming the key).
/// </summary>
public sealed class NotificationControl(NpgsqlDataSource dataSource, JobCatalog catalog, AuditLog audit, TimeProvider time, IOptions<NotificationOptions> options)
{
    public async Task<NotificationResult> CreateAsync(NotificationRequest request, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(actor);
        var errors = Check(request, secretStored: false);
        if (string.IsNullOrEmpty(request.JobType))
        {
            errors["jobType"] = ["Required. GET /api/jobs/types lists the valid types."];
        }
        else if (!catalog.TryGet(request.JobType, out _))
        {
            errors["jobType"] = [$"Unknown job type '{request.JobType}'. Valid types: {string.Join(", ", catalog.Names)}."];
        }

        if (errors.Count > 0)
        {
            return new NotificationResult.Invalid(errors);
        }

        var write = Write(request, request.JobType!, actor);
        return await dataSource.UseTransactionAsync<NotificationResult>(async (connection, transaction) =>
        {
            if (await NotificationStore.InsertAsync(connection, transaction, write, cancellationToken) is not { } created)
            {
                return new NotificationResult.Conflict("The name is taken", $"{write.JobType} already has a notification named '{write.Name}'.");
            }

            await AuditAsync(connection, transaction, AuditActions.NotificationCreate, actor, created, new { after = created });
            return new NotificationResult.Done(created);
        }, cancellationToken);
    }

    public Task<NotificationResult> ReplaceAsync(Guid id, NotificationRequest request, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(actor);
        return dataSource.UseTransactionAsync<NotificationResult>(async (connection, transaction) =>
        {
            var found = await LockApiOwnedAsync(connection, transaction, id, cancellationToken);
            if (found is not NotificationResult.Done { View: var before })
            {
                return found;
            }

            var errors = Check(request, secretStored: before.HasSecret && before.Kind == NotificationKinds.Webhook);
            if (request.JobType is not null && request.JobType != before.JobType)
            {
                errors["jobType"] = [$"A notification stays with its job type ({before.JobType}); create one for the other type instead."];
            }

            if (errors.Count > 0)
            {
                return new NotificationResult.Invalid(errors);
            }

            if (await NotificationStore.ReplaceAsync(connection, transaction, id, Write(request, before.JobType, actor), cancellationToken) is not { } after)
            {
                return new NotificationResult.Conflict("The name is taken", $"{before.JobType} already has a notification named '{request.Name}'.");
            }

            await AuditAsync(connection, transaction, AuditActions.NotificationReplace, actor, after, new { before, after, secretChanged = request.Secret is not null });
            return new NotificationResult.Done(after);
        }, cancellationToken);
    }

    public Task<NotificationResult> DeleteAsync(Guid id, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return dataSource.UseTransactionAsync<NotificationResult>(async (connection, transaction) =>
        {
            var found = await LockApiOwnedAsync(connection, transaction, id, cancellationToken);
            if (found is NotificationResult.Done { View: var before })
            {
                await NotificationStore.DeleteAsync(connection, transaction, id, cancellationToken);
                await AuditAsync(connection, transaction, AuditActions.NotificationDelete, actor, before, new { before });
            }

            return found;
        }, cancellationToken);
    }

    /// <summary>The row, locked, when the API may change it; otherwise why not.</summary>
    private static async Task<NotificationResult> LockApiOwnedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        await NotificationStore.LockAsync(connection, transaction, id, cancellationToken) switch
        {
            null => new NotificationResult.NotFound($"No notification has the id {id}."),
            { ConfigurationKey: { } key } => new NotificationResult.Conflict("The notification is owned by configuration",
                $"It is defined by {key} and changes only there (then restart); the API changes notifications it created."),
            var view => new NotificationResult.Done(view),
        };

    private Dictionary<string, string[]> Check(NotificationRequest request, bool secretStored) =>
        NotificationRules.Check(request.Name, request.Kind, request.Url, request.Events, request.Secret, request.Secret is not null || secretStored, options.Value.AllowedHosts);

    private NotificationWrite Write(NotificationRequest request, string jobType, Requester actor) => new(
        jobType, request.Name!, request.Kind!, request.Url!,
        request.Kind == NotificationKinds.Webhook ? [.. request.Events!.Distinct(StringComparer.Ordinal)] : [],
        request.Secret, request.Enabled ?? true, request.Description, actor.Actor, time.GetUtcNow());

    private Task AuditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string action, Requester actor, NotificationView view, object details) =>
        audit.RecordAsync(connection, transaction,
            new AuditRecord(action, actor.Actor, AuditTargetTypes.Notification, view.Id.ToString(), view.JobType, actor.RemoteAddress, AuditOutcomes.Accepted, details),
            cancellationToken: CancellationToken.None);
}

/// <summary>What a <see cref="NotificationControl"/> use case came to; the API answers each with its own status.</summary>
public abstract record NotificationResult
{
    private NotificationResult()
    {
    }

    /// <summary>Carried out (or, inside a use case, found and changeable).</summary>
    public sealed record Done(NotificationView View) : NotificationResult;

    /// <summary>Refused for what was asked, by field; nothing changed.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : NotificationResult;

    public sealed record NotFound(string Detail) : NotificationResult;

    /// <summary>Not possible: the name is taken, or configuration owns the notification.</summary>
    public sealed record Conflict(string Title, string Detail) : NotificationResult;
}
