using System.Security.Claims;

namespace Scheduler.Service.Auth;

/// <summary>The API's two roles and who the caller is, read from a validated token.</summary>
public static class Caller
{
    /// <summary>Trigger, cancel, retry and change schedules; implies <see cref="ReaderRole"/>.</summary>
    public const string AdminRole = "Scheduler.Admin";

    /// <summary>Every GET under <c>/api</c>.</summary>
    public const string ReaderRole = "Scheduler.Reader";

    /// <summary>Policy names.</summary>
    public const string AdminPolicy = "scheduler-admin";

    public const string ReaderPolicy = "scheduler-reader";

    /// <summary>The claim the service adds once it has mapped an issuer's own roles onto its two.</summary>
    public const string RoleClaim = "scheduler_role";

    /// <summary>
    /// Claim types in the order they name the caller. The mapped forms of <c>oid</c> and <c>sub</c> come before the
    /// client (<c>azp</c>), so that a scheme that maps inbound claims still records the user, never the app they used.
    /// </summary>
    private static readonly string[] IdClaims =
    [
        "oid", "http://schemas.microsoft.com/identity/claims/objectidentifier",
        "sub", ClaimTypes.NameIdentifier,
        "azp", "appid", "client_id",
    ];

    /// <summary>
    /// The caller's id: Entra's object id (<c>oid</c>, a user or an application's service principal), else the
    /// subject (<c>sub</c>), else the client the token was issued to.
    /// </summary>
    public static string? Id(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        foreach (var type in IdClaims)
        {
            if (user.FindFirst(type)?.Value is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// Adds <see cref="RoleClaim"/> claims for the issuer's role values that map onto the service's roles
    /// (admin implies reader). Values in <paramref name="roleClaim"/> (a claim name or a path into a JSON object claim,
    /// see <see cref="RoleClaimPath"/>) may come as repeated claims or one JSON array.
    /// </summary>
    public static void MapRoles(ClaimsPrincipal principal, string roleClaim, IReadOnlyCollection<string> adminValues, IReadOnlyCollection<string> readerValues)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var values = RoleClaimPath.Values(principal, roleClaim).ToHashSet(StringComparer.Ordinal);
        var roles = new List<Claim>();
        if (values.Overlaps(adminValues))
        {
            roles.Add(new Claim(RoleClaim, AdminRole));
            roles.Add(new Claim(RoleClaim, ReaderRole));
        }
        else if (values.Overlaps(readerValues))
        {
            roles.Add(new Claim(RoleClaim, ReaderRole));
        }

        principal.AddIdentity(new ClaimsIdentity(roles, "scheduler-roles", nameType: null, roleType: RoleClaim));
    }
}
