using System.Text.Json;

namespace Scheduler.Contracts.Api;

/// <summary>One operator action as <c>GET /api/audit</c> returns it (a row of <c>audit_log</c>).</summary>
public sealed record AuditEntry
{
    /// <summary>The entry's id; higher ids were recorded later.</summary>
    public required long Id { get; init; }

    /// <summary>When the action was taken (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Who took it: a user id, or <c>scheduler</c> for the service itself.</summary>
    public required string Actor { get; init; }

    /// <summary>What was done: one of <see cref="AuditActions"/>, e.g. <c>job.trigger</c>.</summary>
    public required string Action { get; init; }

    /// <summary>What it was done to: one of <see cref="AuditTargetTypes"/>.</summary>
    public required string TargetType { get; init; }

    /// <summary>An execution id (target type <c>execution</c>) or a job type (target type <c>schedule</c>); null when there was none, e.g. a refused trigger.</summary>
    public string? TargetId { get; init; }

    /// <summary>The job type the action concerned, if any.</summary>
    public string? JobType { get; init; }

    /// <summary>The address the request came from, as the service saw it.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>How the service answered: one of <see cref="AuditOutcomes"/>, e.g. <c>accepted</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary>What else the action carried (parameters, a pause reason, the old and new schedule), as recorded.</summary>
    public JsonElement? Details { get; init; }
}

/// <summary>A page of audit entries, newest first (<c>GET /api/audit</c>).</summary>
/// <param name="Entries">The entries on this page.</param>
/// <param name="Total">How many entries match the filters, over all pages.</param>
/// <param name="Page">The 1-based page number.</param>
/// <param name="Limit">The page size.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the page after this one (null on the last page).</param>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long Total, int Page, int Limit, string? NextCursor = null);

/// <summary>The actions the audit trail records (<c>audit_log.action</c>), <c>area.verb</c>.</summary>
public static class AuditActions
{
    /// <summary>An operator triggered a run (<c>POST /api/jobs/trigger</c>).</summary>
    public const string JobTrigger = "job.trigger";

    /// <summary>An operator cancelled an execution (<c>POST /api/jobs/{id}/cancel</c>).</summary>
    public const string JobCancel = "job.cancel";

    /// <summary>An operator retried a failed or cancelled execution (<c>POST /api/jobs/{id}/retry</c>).</summary>
    public const string JobRetry = "job.retry";

    /// <summary>An operator retried failed runs in bulk (<c>POST /api/jobs/retry-failed</c>): the filter and counts; each retry also has its <see cref="JobRetry"/> row.</summary>
    public const string JobRetryFailed = "job.retry_failed";

    /// <summary>An operator cancelled waiting runs in bulk (<c>POST /api/jobs/cancel-pending</c>): the filter and counts; each cancel also has its <see cref="JobCancel"/> row.</summary>
    public const string JobCancelPending = "job.cancel_pending";

    /// <summary>An operator paused a job type's schedule.</summary>
    public const string SchedulePause = "schedule.pause";

    /// <summary>An operator resumed a paused schedule.</summary>
    public const string ScheduleResume = "schedule.resume";

    /// <summary>An operator changed a job type's schedule (cron expression or time zone).</summary>
    public const string ScheduleChange = "schedule.change";

    /// <summary>An operator returned a job type's schedule to configuration (deleted its override).</summary>
    public const string ScheduleReset = "schedule.reset";

    /// <summary>An operator asked for missed occurrences to be run (or listed them, with <c>dryRun</c>).</summary>
    public const string ScheduleBackfill = "schedule.backfill";

    /// <summary>An operator defined an HTTP-call job type (<c>POST /api/job-types</c>).</summary>
    public const string TypeDefine = "type.define";

    /// <summary>An operator changed an HTTP-call job type defined through the API (<c>PUT /api/job-types/{name}</c>).</summary>
    public const string TypeChange = "type.change";

    /// <summary>An operator deleted an HTTP-call job type defined through the API.</summary>
    public const string TypeDelete = "type.delete";

    /// <summary>An operator disabled an HTTP-call job type defined through the API.</summary>
    public const string TypeDisable = "type.disable";

    /// <summary>An operator enabled an HTTP-call job type defined through the API again.</summary>
    public const string TypeEnable = "type.enable";

    /// <summary>An operator created a notification (<c>POST /api/notifications</c>).</summary>
    public const string NotificationCreate = "notification.create";

    /// <summary>An operator replaced a notification (<c>PUT /api/notifications/{id}</c>).</summary>
    public const string NotificationReplace = "notification.replace";

    /// <summary>An operator deleted a notification (<c>DELETE /api/notifications/{id}</c>).</summary>
    public const string NotificationDelete = "notification.delete";

    /// <summary>An operator created a named schedule (<c>POST /api/schedules</c>).</summary>
    public const string ScheduleCreate = "schedule.create";

    /// <summary>An operator deleted a named schedule.</summary>
    public const string ScheduleDelete = "schedule.delete";

    /// <summary>An operator replayed one of the core API's dead letters (<c>POST /api/dlq/{kind}/{id}/replay</c>).</summary>
    public const string DlqReplay = "dlq.replay";

    /// <summary>Every action: jobs, schedules, job types, notifications, dead letters.</summary>
    public static IReadOnlyList<string> All { get; } =
        [JobTrigger, JobCancel, JobRetry, JobRetryFailed, JobCancelPending, SchedulePause, ScheduleResume, ScheduleChange, ScheduleReset, ScheduleBackfill, ScheduleCreate, ScheduleDelete,
         TypeDefine, TypeChange, TypeDelete, TypeDisable, TypeEnable, NotificationCreate, NotificationReplace, NotificationDelete, DlqReplay];
}

/// <summary>What an audited action was done to (<c>audit_log.target_type</c>).</summary>
public static class AuditTargetTypes
{
    /// <summary>An execution; the target id is its id.</summary>
    public const string Execution = "execution";

    /// <summary>A schedule; the target id is the job type for its default schedule, <c>jobType/name</c> for a named one.</summary>
    public const string Schedule = "schedule";

    /// <summary>A job type's definition (defined through the API); the target id is the job type.</summary>
    public const string JobType = "job_type";

    /// <summary>A notification (webhook or heartbeat); the target id is its id.</summary>
    public const string Notification = "notification";

    /// <summary>One of the core API's dead letters; the target id is <c>kind/id</c>, e.g. <c>outbox/ob-1001</c>.</summary>
    public const string DeadLetter = "dead_letter";
}

/// <summary>How the service answered an audited action (<c>audit_log.outcome</c>).</summary>
public static class AuditOutcomes
{
    /// <summary>The action was carried out.</summary>
    public const string Accepted = "accepted";

    /// <summary>The action was refused as invalid or not allowed.</summary>
    public const string Rejected = "rejected";

    /// <summary>The action conflicted with the current state (e.g. the type was already running).</summary>
    public const string Conflict = "conflict";

    /// <summary>The same request again under its Idempotency-Key: answered with the execution it created, nothing new done.</summary>
    public const string Replayed = "replayed";

    /// <summary>Accepted, but the service could not carry it out (e.g. the run could not be handed to the scheduler).</summary>
    public const string Failed = "failed";
}
