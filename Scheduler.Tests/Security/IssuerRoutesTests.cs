using FluentAssertions;
using Scheduler.Service.Auth;

namespace Scheduler.Tests.Security;

/// <summary>A token goes to the scheme of the issuer it names, exactly, whether either side has a trailing slash.</summary>
public sealed class IssuerRoutesTests
{
    [TestCase("https://issuer.example/")]
    [TestCase("https://issuer.example")]
    public void BothFormsOfTheConfiguredIssuer_RouteToItsScheme(string configured)
    {
        var routes = new IssuerRoutes("Entra");
        routes.Add(configured, "Oidc");

        routes.SchemeFor("https://issuer.example").Should().Be("Oidc");
        routes.SchemeFor("https://issuer.example/").Should().Be("Oidc");
    }

    [TestCase("https://issuer.example//")]
    [TestCase("https://issuer.example/other")]
    [TestCase("https://issuer.example.evil")]
    [TestCase("https://ISSUER.example")]
    [TestCase("http://issuer.example")]
    [TestCase("https://issuer.exampl")]
    [TestCase("")]
    [TestCase(null)]
    public void AnyOtherIssuer_GoesToTheFallback(string? issuer)
    {
        var routes = new IssuerRoutes("Entra");
        routes.Add("https://issuer.example/", "Oidc");

        routes.SchemeFor(issuer).Should().Be("Entra");
    }
}
