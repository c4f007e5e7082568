using System.Security.Cryptography;
using System.Text;

namespace Scheduler.StandIns;

/// <summary>
/// The stand-in OIDC issuer's sign-in: <c>/oidc/authorize</c> approves <see cref="StandInState.OidcSignInUser"/> at once
/// (no login page, so <c>prompt=none</c> succeeds too) and <c>/oidc/token</c> redeems the code (PKCE S256, redirect URI
/// and client checked) or a refresh token for an access token carrying the user's roles and an id token.
/// </summary>
public static class OidcSignInEndpoints
{
    public static void MapOidcSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/oidc/authorize", Authorize);
        app.MapPost("/oidc/token", Token).DisableAntiforgery();
        app.MapMethods("/oidc/token", [HttpMethods.Options], (HttpContext http) =>
        {
            AllowAnyOrigin(http);
            http.Response.Headers.AccessControlAllowMethods = "POST";
            http.Response.Headers.AccessControlAllowHeaders = "Content-Type, Authorization";
            return Results.NoContent();
        });
    }

    private static IResult Authorize(HttpContext http, StandInState state)
    {
        var query = http.Request.Query;
        string? Get(string name) => query[name].FirstOrDefault() is { Length: > 0 } value ? value : null;
        var redirectUri = Get("redirect_uri");
        var clientId = Get("client_id");
        if (redirectUri is null || clientId is null || !Uri.TryCreate(redirectUri, UriKind.Absolute, out _))
        {
            return Results.BadRequest("client_id and an absolute redirect_uri are required");
        }

        var returnedState = Get("state");
        if (Get("response_type") != "code")
        {
            return Results.Redirect(WithQuery(redirectUri, ("error", "unsupported_response_type"), ("state", returnedState)));
        }

        if (Get("code_challenge") is null || Get("code_challenge_method") != "S256")
        {
            return Results.Redirect(WithQuery(redirectUri, ("error", "invalid_request"), ("error_description", "PKCE with S256 is required"), ("state", returnedState)));
        }

        if (state.OidcSignInUser is not { } user)
        {
            return Results.Redirect(WithQuery(redirectUri, ("error", "login_required"), ("state", returnedState)));
        }

        var code = state.IssueOidcCode(new StandInState.OidcPendingCode(clientId, redirectUri, Get("code_challenge"), Get("nonce"), Get("scope") ?? "openid", user, TimeProvider.System.GetUtcNow()));
        return Results.Redirect(WithQuery(redirectUri, ("code", code), ("state", returnedState)));
    }

    private static async Task<IResult> Token(HttpContext http, StandInState state)
    {
        AllowAnyOrigin(http);
        if (!http.Request.HasFormContentType)
        {
            return Error("invalid_request", "the body must be application/x-www-form-urlencoded");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? Get(string name) => form[name].FirstOrDefault() is { Length: > 0 } value ? value : null;
        StandInState.OidcPendingCode? grant;
        switch (Get("grant_type"))
        {
            case "authorization_code":
                grant = Get("code") is { } code ? state.RedeemOidcCode(code) : null;
                if (grant is null)
                {
                    return Error("invalid_grant", "unknown or already used code");
                }

                if (grant.ClientId != Get("client_id") || grant.RedirectUri != Get("redirect_uri"))
                {
                    return Error("invalid_grant", "client_id or redirect_uri differ from the authorization request");
                }

                if (Get("code_verifier") is not { } verifier
                    || StandInState.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.CodeChallenge)
                {
                    return Error("invalid_grant", "code_verifier does not match the code_challenge");
                }

                break;
            case "refresh_token":
                grant = Get("refresh_token") is { } refresh ? state.RedeemOidcRefreshToken(refresh) : null;
                if (grant is null || grant.ClientId != Get("client_id"))
                {
                    return Error("invalid_grant", "unknown, used or foreign refresh token");
                }

                break;
            default:
                return Error("unsupported_grant_type", "authorization_code or refresh_token");
        }

        var issuer = $"{http.Request.Scheme}://{http.Request.Host}/oidc";
        var now = TimeProvider.System.GetUtcNow();
        var expires = now + state.OidcTokenLifetime;
        var user = grant.User;
        var access = new Dictionary<string, object>
        {
            ["iss"] = issuer, ["aud"] = user.Audience, ["sub"] = user.Subject, ["name"] = user.Name, ["azp"] = grant.ClientId,
            ["scope"] = grant.Scope, ["iat"] = now.ToUnixTimeSeconds(), ["nbf"] = now.ToUnixTimeSeconds(), ["exp"] = expires.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"), [user.RoleClaim] = user.Roles,
        };
        var identity = new Dictionary<string, object>
        {
            ["iss"] = issuer, ["aud"] = grant.ClientId, ["sub"] = user.Subject, ["name"] = user.Name,
            ["iat"] = now.ToUnixTimeSeconds(), ["auth_time"] = grant.AuthTime.ToUnixTimeSeconds(), ["exp"] = expires.ToUnixTimeSeconds(),
        };
        if (grant.Nonce is { } nonce)
        {
            identity["nonce"] = nonce;
        }

        var response = new Dictionary<string, object>
        {
            ["access_token"] = state.SignOidcToken(access),
            ["id_token"] = state.SignOidcToken(identity),
            ["token_type"] = "Bearer",
            ["expires_in"] = (int)state.OidcTokenLifetime.TotalSeconds,
            ["scope"] = grant.Scope,
        };
        if (state.OidcIssuesRefreshTokens && grant.Scope.Split(' ').Contains("offline_access"))
        {
            response["refresh_token"] = state.IssueOidcRefreshToken(grant);
        }

        http.Response.Headers.CacheControl = "no-store";
        return Results.Json(response);
    }

    private static IResult Error(string error, string description) =>
        Results.Json(new { error, error_description = description }, statusCode: StatusCodes.Status400BadRequest);

    private static void AllowAnyOrigin(HttpContext http) => http.Response.Headers.AccessControlAllowOrigin = "*";

    private static string WithQuery(string uri, params (string Name, string? Value)[] parameters)
    {
        var query = string.Join("&", parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
        return uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
    }
}
