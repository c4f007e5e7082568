using Scheduler.Jobs.Catalog;

namespace Scheduler.Service.Api;

/// <summary>
/// A route's <c>{jobType}</c>, looked up in the catalog once as the request is bound. <see cref="RequireKnown"/>
/// answers 404 for a name the catalog does not have, before the handler runs, so a handler only ever sees a
/// <see cref="Definition"/>.
/// </summary>
public sealed class JobTypeRoute
{
    private const string RouteKey = "jobType";
    private const int MaxNameShown = 64;

    private readonly JobDefinition? definition;

    private JobTypeRoute(string name, JobDefinition? definition)
    {
        Name = name;
        this.definition = definition;
    }

    /// <summary>The name as the route gave it.</summary>
    public string Name { get; }

    /// <summary>The catalog's type of that name.</summary>
    /// <remarks>Internal, so that request validation, which walks public properties, neither reads it before the filter has run nor walks the catalog.</remarks>
    internal JobDefinition Definition => definition ?? throw new InvalidOperationException($"{nameof(RequireKnown)} lets no unknown job type through");

    public static ValueTask<JobTypeRoute?> BindAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var name = http.GetRouteValue(RouteKey) as string ?? "";
        var catalog = http.RequestServices.GetRequiredService<JobCatalog>();
        return ValueTask.FromResult<JobTypeRoute?>(new JobTypeRoute(name, catalog.TryGet(name, out var found) ? found : null));
    }

    /// <summary>Answers 404, naming the valid types, when an endpoint's <see cref="JobTypeRoute"/> is not in the catalog.</summary>
    public static TBuilder RequireKnown<TBuilder>(TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (context.Arguments.OfType<JobTypeRoute>().FirstOrDefault() is { definition: null } unknown)
            {
                var catalog = context.HttpContext.RequestServices.GetRequiredService<JobCatalog>();
                var shown = unknown.Name.Length <= MaxNameShown ? unknown.Name : unknown.Name[..MaxNameShown] + "…";
                return TypedResults.Problem(title: "Unknown job type",
                    detail: $"No job type is named '{shown}'. Valid types: {string.Join(", ", catalog.Names)}.", statusCode: StatusCodes.Status404NotFound);
            }

            return await next(context);
        });
}
