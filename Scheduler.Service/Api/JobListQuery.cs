using Scheduler.Contracts;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Api;

/// <summary>The query string of <c>GET /api/jobs</c>.</summary>
public sealed class JobListQuery : ListQuery
{
    [JobTypeName]
    public string? Type { get; init; }

    [ExecutionStatusName]
    public string? Status { get; init; }

    [QueryText]
    public string? StartedBy { get; init; }

    /// <summary>Runs of this schedule only (<c>default</c>: the configured one).</summary>
    [QueryText]
    public string? Schedule { get; init; }

    /// <summary>Runs whose normalised error (<c>scheduler_failure_reason(error)</c>, as <c>GET /api/jobs/stats</c> reports it) is this.</summary>
    [QueryText]
    public string? Reason { get; init; }

    protected override PageCursorId CursorIds => PageCursorId.Uuid;

    public ExecutionFilter Filter => new(QueryValues.Given(Type), EnumText.TryParse(QueryValues.Given(Status), out ExecutionStatus status) ? status : null, QueryValues.Given(StartedBy), FromTime, ToTime, QueryValues.Given(Schedule), QueryValues.Given(Reason));
}
