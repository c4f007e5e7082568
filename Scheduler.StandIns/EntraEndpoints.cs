namespace Scheduler.StandIns;

/// <summary>
/// Entra ID's v2.0 metadata as Microsoft.Identity.Web reads it, under <c>/entra</c> (so an <c>AzureAd:Instance</c> of
/// <c>http://127.0.0.1:port/entra/</c>): per tenant, the discovery document and the signing keys
/// (<see cref="StandInState.EntraSigningKeys"/>, which the test provides). For <c>common</c>, <c>organizations</c> and
/// <c>consumers</c> the issuer is the <c>{tenantid}</c> template, as Entra publishes it. It issues no tokens.
/// </summary>
public static class EntraEndpoints
{
    private static readonly HashSet<string> MultiTenant = new(["common", "organizations", "consumers"], StringComparer.OrdinalIgnoreCase);

    public static void MapEntraEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/entra/{tenant}/v2.0/.well-known/openid-configuration", (string tenant, HttpContext http) =>
        {
            var instance = $"{http.Request.Scheme}://{http.Request.Host}/entra";
            var issuer = $"{instance}/{(MultiTenant.Contains(tenant) ? "{tenantid}" : tenant)}/v2.0";
            return Results.Text($$"""
                {"issuer":"{{issuer}}","jwks_uri":"{{instance}}/{{tenant}}/discovery/v2.0/keys",
                 "token_endpoint":"{{instance}}/{{tenant}}/oauth2/v2.0/token","id_token_signing_alg_values_supported":["RS256"],
                 "response_types_supported":["code","id_token","code id_token","id_token token"],"subject_types_supported":["pairwise"]}
                """, "application/json");
        });
        app.MapGet("/entra/{tenant}/discovery/v2.0/keys", (StandInState state) =>
            Results.Text(state.EntraSigningKeys ?? """{"keys":[]}""", "application/json"));
    }
}
