using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Api;

/// <summary>The query string of <c>GET /api/audit</c>, parsed strictly: every bad value is reported by name.</summary>
internal sealed record AuditQuery(AuditFilter Filter, int Page, int Limit, PageCursor? After)
{
    private static readonly string[] Known = ["action", "actor", "jobType", "targetId", "from", "to", "page", "limit", "cursor"];

    public static bool TryParse(IQueryCollection query, out AuditQuery result, out Dictionary<string, string[]> errors)
    {
        var reader = new QueryReader(query);
        // An audit query that says "acton=job.cancel" must not come back with every action.
        reader.RejectUnknown(Known);
        var action = reader.OneOf("action", AuditActions.All, "action", "actions");
        var actor = reader.Text("actor");
        var jobType = reader.Text("jobType");
        var targetId = reader.Text("targetId");
        var (from, to) = reader.Window();
        var (page, limit, after) = reader.Paging(PageCursorId.BigInt);

        result = new AuditQuery(new AuditFilter(action, actor, jobType, targetId, from, to), page, limit, after);
        errors = reader.Errors;
        return errors.Count == 0;
    }
}
