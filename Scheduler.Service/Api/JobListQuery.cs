using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Api;

/// <summary>The query string of <c>GET /api/jobs</c>, parsed strictly: every bad value is reported by name.</summary>
internal sealed record JobListQuery(ExecutionFilter Filter, int Page, int Limit, PageCursor? After)
{
    private static readonly string[] Known = ["type", "status", "startedBy", "from", "to", "page", "limit", "cursor"];

    public static bool TryParse(IQueryCollection query, JobCatalog catalog, out JobListQuery result, out Dictionary<string, string[]> errors)
    {
        var reader = new QueryReader(query);
        // "stauts=failed" must not come back with every execution.
        reader.RejectUnknown(Known);
        var type = reader.OneOf("type", catalog.Names, "job type", "types");
        var status = reader.OneOf("status", ExecutionStatus.All, "status", "statuses");
        var startedBy = reader.Text("startedBy");
        var (from, to) = reader.Window();
        var (page, limit, after) = reader.Paging(PageCursorId.Uuid);

        result = new JobListQuery(new ExecutionFilter(type, status, startedBy, from, to), page, limit, after);
        errors = reader.Errors;
        return errors.Count == 0;
    }
}
