namespace Scheduler.StandIns;

/// <summary>
/// A minimal OpenID Connect issuer under <c>/oidc</c>, as Clerk, Auth0 or Keycloak publish one: the discovery
/// document and the signing keys (<see cref="StandInState.OidcSigningKeys"/>, a JSON Web Key Set the test provides).
/// It issues no tokens; the tests sign their own with the matching private key.
/// </summary>
public static class OidcEndpoints
{
    public static void MapOidcEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/oidc/.well-known/openid-configuration", (HttpContext http, StandInState state) =>
        {
            var issuer = $"{http.Request.Scheme}://{http.Request.Host}/oidc";
            return Results.Text($$"""
                {"issuer":"{{issuer}}{{(state.OidcIssuerEndsWithSlash ? "/" : "")}}","jwks_uri":"{{issuer}}/jwks","id_token_signing_alg_values_supported":["RS256"],
                 "response_types_supported":["code"],"subject_types_supported":["public"]}
                """, "application/json");
        });
        app.MapGet("/oidc/jwks", (StandInState state) =>
            Results.Text(state.OidcSigningKeys ?? """{"keys":[]}""", "application/json"));
    }
}
