namespace Scheduler.Service.Auth;

/// <summary>The web apps whose pages may call the API from a browser, from <c>Cors</c>.</summary>
public sealed class BrowserCorsOptions
{
    public const string Section = "Cors";

    public const string AllowedOriginsKey = "Cors:AllowedOrigins";

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>, as the browser sends them) allowed to call the API; none by default.
    /// Outside Production an entry may be <c>*</c> or name a subdomain wildcard (<c>https://*.example.com</c>).
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
