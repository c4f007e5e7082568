using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Api;

/// <summary>The query string of <c>GET /api/audit</c>.</summary>
public sealed class AuditQuery : ListQuery
{
    [AuditActionName]
    public string? Action { get; init; }

    [QueryText]
    public string? Actor { get; init; }

    [QueryText]
    public string? JobType { get; init; }

    [QueryText]
    public string? TargetId { get; init; }

    protected override PageCursorId CursorIds => PageCursorId.BigInt;

    public AuditFilter Filter => new(
        QueryValues.Given(Action), QueryValues.Given(Actor), QueryValues.Given(JobType), QueryValues.Given(TargetId), FromTime, ToTime);
}
