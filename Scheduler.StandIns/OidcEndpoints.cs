namespace Scheduler.StandIns;

/// <summary>
/// A minimal OpenID Connect issuer under <c>/oidc</c>, as Clerk, Auth0 or Keycloak publish one: the discovery
/// document and the signing keys (<see cref="StandInState.OidcSigningKeys"/>, a JSON Web Key Set the test provides).
/// The tests sign their own tokens with the matching private key, or sign in through <c>/oidc/authorize</c> and
/// <c>/oidc/token</c> (authorization code with PKCE, for the dashboard), which sign with the stand-in's own key.
/// </summary>
public static class OidcEndpoints
{
    public static void MapOidcEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/oidc/.well-known/openid-configuration", (HttpContext http, StandInState state) =>
        {
            var issuer = $"{http.Request.Scheme}://{http.Request.Host}/oidc";
            // Read by the dashboard's browser code from another origin.
            http.Response.Headers.AccessControlAllowOrigin = "*";
            return Results.Text($$"""
                {"issuer":"{{issuer}}{{(state.OidcIssuerEndsWithSlash ? "/" : "")}}","jwks_uri":"{{issuer}}/jwks","id_token_signing_alg_values_supported":["RS256"],
                 "response_types_supported":["code"],"subject_types_supported":["public"],
                 "authorization_endpoint":"{{issuer}}/authorize","token_endpoint":"{{issuer}}/token","code_challenge_methods_supported":["S256"],
                 "grant_types_supported":["authorization_code","refresh_token"],"scopes_supported":["openid","profile","offline_access"]}
                """, "application/json");
        });
        app.MapGet("/oidc/jwks", (StandInState state) =>
            Results.Text(state.OidcSigningKeys ?? """{"keys":[]}""", "application/json"));
        app.MapOidcSignIn();
    }
}
