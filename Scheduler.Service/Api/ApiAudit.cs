using Scheduler.Jobs.Audit;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary>What the API's handlers share about the caller and the audit trail.</summary>
internal static partial class ApiAudit
{
    private const int MaxActorLength = 200;

    /// <summary>Who is acting: the validated token's object id or subject, never what the body claims.</summary>
    public static string Actor(HttpContext http) => http.User.Id() is { } id
        ? id.Length > MaxActorLength ? id[..MaxActorLength] : id
        : throw new InvalidOperationException("an authorized request without a caller id");

    /// <summary>
    /// Records one action with the caller's address. The action has happened by now, so a failure to write the
    /// row is logged, not answered: the caller's answer must say what was done.
    /// </summary>
    public static async Task RecordAsync(AuditLog audit, HttpContext http, AuditRecord record, ILoggerFactory loggers)
    {
        try
        {
            await audit.RecordAsync(record with { RemoteAddress = http.Connection.RemoteIpAddress?.ToString() }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogAuditFailed(loggers.CreateLogger(typeof(ApiAudit)), ex, record.Action, record.TargetId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the audit row for {Action} on {Target}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string action, string? target);
}
