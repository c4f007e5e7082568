using System.Diagnostics;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// A <see cref="ServiceProcess"/> as the tests start one: on the test database, every downstream service the given
/// stand-ins, an admin token for its clients, and its output kept for the assertions.
/// </summary>
public static class TestServiceProcess
{
    extension(ServiceProcess)
    {
        /// <summary>The repository's root (where Scheduler.sln is).</summary>
        public static string RepositoryRoot => Repository.Root;

        /// <summary>The service's build output, beside this test assembly's (same configuration).</summary>
        public static string ServiceDirectory
        {
            get
            {
                var testDir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
                return Path.Combine(Repository.Root, "Scheduler.Service", "bin", testDir.Parent!.Name, testDir.Name);
            }
        }

        /// <summary>Runs <c>dotnet Scheduler.Service.dll</c> with <paramref name="arguments"/> and the environment given, without waiting.</summary>
        public static Process Launch(string arguments, IDictionary<string, string?> environment) =>
            ServiceProcess.Launch(ServiceProcess.ServiceDirectory, arguments, environment);

        public static Task<ServiceProcess> StartAsync(string standInUrl, string runnerId, IDictionary<string, string?> settings)
        {
            var values = ServiceHost.BaseSettings(TestDatabase.ConnectionString, standInUrl, runnerId);
            values["Logging:LogLevel:Default"] = "Information";
            foreach (var (key, value) in settings)
            {
                values[key] = value;
            }

            return ServiceProcess.StartAsync(new ServiceProcessStart(ServiceProcess.ServiceDirectory, runnerId, values, TestTokens.Admin));
        }
    }
}
