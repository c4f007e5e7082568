using Scheduler.Jobs.Execution;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary>Who the API's caller is, as the audit trail records them.</summary>
internal static class ApiAudit
{
    private const int MaxActorLength = 200;

    /// <summary>Who is acting: the validated token's object id or subject, never what the body claims.</summary>
    public static string Actor(HttpContext http) => http.User.Id() is { } id
        ? id.Length > MaxActorLength ? id[..MaxActorLength] : id
        : throw new InvalidOperationException("an authorized request without a caller id");

    /// <summary>The caller as the audit trail records them: who, and from which address.</summary>
    public static Requester Requester(HttpContext http) => new(Actor(http), http.Connection.RemoteIpAddress?.ToString());
}
