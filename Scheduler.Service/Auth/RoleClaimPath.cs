using System.Security.Claims;
using System.Text.Json;

namespace Scheduler.Service.Auth;

/// <summary>
/// Reads role values from a claim named by a path: <c>roles</c>, or <c>metadata.role</c> for a claim <c>metadata</c>
/// whose value is a JSON object (issuers such as Clerk put custom claims in one). A claim with the whole path as its
/// name wins, since claim names may hold dots themselves (Auth0's <c>https://example.com/roles</c>).
/// </summary>
internal static class RoleClaimPath
{
    public static IEnumerable<string> Values(ClaimsPrincipal principal, string path)
    {
        var whole = principal.FindAll(path).Select(c => c.Value).ToList();
        if (whole.Count > 0)
        {
            return whole;
        }

        for (var dot = path.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = path.IndexOf('.', dot + 1))
        {
            var claims = principal.FindAll(path[..dot]).ToList();
            if (claims.Count > 0)
            {
                var rest = path[(dot + 1)..].Split('.');
                return claims.SelectMany(c => Walk(c.Value, rest)).ToList();
            }
        }

        return [];
    }

    private static List<string> Walk(string json, string[] segments)
    {
        if (!json.StartsWith('{'))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var node = document.RootElement;
            foreach (var segment in segments)
            {
                if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(segment, out node))
                {
                    return [];
                }
            }

            return node.ValueKind switch
            {
                JsonValueKind.String => [node.GetString()!],
                JsonValueKind.Array => node.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList(),
                _ => [],
            };
        }
        catch (JsonException)
        {
            // A claim that only looks like JSON carries no roles.
            return [];
        }
    }
}
