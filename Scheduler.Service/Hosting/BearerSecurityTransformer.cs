using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Hosting;

/// <summary>
/// The document's <c>bearer</c> security scheme, and on every operation that needs a token the requirement and the
/// role it needs, read from the same authorization metadata the middleware enforces, so the two cannot disagree.
/// </summary>
internal sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemeName = "bearer";
    public const string RoleExtension = "x-required-role";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = $"An access token from a trusted issuer (Entra ID, another OpenID Connect issuer, or the local development issuer) carrying {Caller.ReaderRole} to read or {Caller.AdminRole} to change.",
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any() || RequiredRole(metadata.OfType<IAuthorizeData>()) is not { } role)
        {
            return Task.CompletedTask;
        }

        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[RoleExtension] = new JsonNodeExtension(role);
        var sentence = $"Requires a bearer token with the role {role}.";
        operation.Description = string.IsNullOrEmpty(operation.Description) ? sentence : $"{operation.Description}\n\n{sentence}";
        return Task.CompletedTask;
    }

    /// <summary>The strongest role the endpoint's policies ask for: a group may ask for reader and the endpoint for admin.</summary>
    private static string? RequiredRole(IEnumerable<IAuthorizeData> authorizations)
    {
        var policies = authorizations.Select(a => a.Policy).ToHashSet(StringComparer.Ordinal);
        return policies.Contains(Caller.AdminPolicy) ? Caller.AdminRole
            : policies.Contains(Caller.ReaderPolicy) ? Caller.ReaderRole
            : null;
    }
}
