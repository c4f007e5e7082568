using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Scheduler.Jobs.Configuration;

namespace Scheduler.Service.Auth;

/// <summary>How many mutating requests (trigger, cancel, retry, schedule changes) one caller may make per window, from <c>RateLimiting</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    [Range(1, 100_000)]
    public int MutationsPerWindow { get; set; } = 30;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>ASP.NET Core's rate limiter on the mutating endpoints, partitioned by caller; over the limit is 429 with <c>Retry-After</c>.</summary>
public static class MutationRateLimit
{
    public const string Policy = "mutations";

    public static WebApplicationBuilder AddMutationRateLimit(this WebApplicationBuilder builder)
    {
        var limits = builder.Services.AddValidatedOptions<RateLimitOptions>(builder.Configuration, RateLimitOptions.Section);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, http => RateLimitPartition.GetFixedWindowLimiter(
                // Authorization runs first, so the caller is known; the address is only a fallback.
                http.User.Id() ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.MutationsPerWindow, Window = limits.Window, QueueLimit = 0 }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.Window;
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"At most {limits.MutationsPerWindow} changes per {limits.Window.TotalSeconds:0} s per caller. Try again in {seconds} s.",
                    },
                });
            };
        });
        return builder;
    }
}
