using System.Globalization;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Clients;

/// <summary>
/// The TypeScript client in <c>clients/typescript</c>: its files, and its npm packages installed once per run with
/// <c>npm ci</c> from its lock file into <c>clients/typescript/node_modules</c> (again only when the lock file changes).
/// </summary>
public static class TypeScriptClient
{
    public const string UpdateHint = "Run scripts/update-ts-client.sh to refresh clients/typescript/openapi.json and src/schema.ts, and commit both.";

    private const string NodeHint =
        "The TypeScript client's tests need Node.js 20 or later with npm: apt-get install nodejs npm (./test.sh installs them).";

    private static readonly Lazy<Task> Installation = new(InstallAsync);

    public static string Directory => Path.Combine(ServiceProcess.RepositoryRoot, "clients", "typescript");

    public static string Snapshot => Path.Combine(Directory, "openapi.json");

    public static string Schema => Path.Combine(Directory, "src", "schema.ts");

    /// <summary>Installs the packages on the first call of the run; later calls wait for that one.</summary>
    public static Task EnsureInstalledAsync() => Installation.Value;

    /// <summary>Runs <c>npx --no-install</c> <paramref name="arguments"/> in the client's folder and fails the test when it fails.</summary>
    public static async Task<Tool.Result> NpxAsync(params string[] arguments)
    {
        await EnsureInstalledAsync();
        var result = await Tool.RunAsync("npx", ["--no-install", .. arguments], NodeHint, workingDirectory: Directory);
        if (result.ExitCode != 0)
        {
            Assert.Fail(result.Output);
        }

        return result;
    }

    /// <summary>Runs <c>node</c> <paramref name="arguments"/> in the client's folder with <paramref name="environment"/>.</summary>
    public static Task<Tool.Result> NodeAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Tool.RunAsync("node", arguments, NodeHint, workingDirectory: Directory, environment: environment);

    private static async Task InstallAsync()
    {
        var version = await Tool.RunAsync("node", ["--version"], NodeHint);
        var major = version.StandardOutput.Trim().TrimStart('v').Split('.')[0];
        if (!int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 20)
        {
            Assert.Fail($"Node.js {version.StandardOutput.Trim()} is too old for the TypeScript client's tools. {NodeHint}");
        }

        // npm ci leaves a copy of the lock file it installed from; the same lock file needs no second install.
        var lockFile = Path.Combine(Directory, "package-lock.json");
        var installedFrom = Path.Combine(Directory, "node_modules", ".installed-from-package-lock.json");
        if (File.Exists(installedFrom) && (await File.ReadAllTextAsync(installedFrom)) == (await File.ReadAllTextAsync(lockFile)))
        {
            return;
        }

        var install = await Tool.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], NodeHint, workingDirectory: Directory);
        if (install.ExitCode != 0)
        {
            Assert.Fail($"npm ci in clients/typescript failed; by hand: (cd clients/typescript && npm ci).\n{install.Output}");
        }

        File.Copy(lockFile, installedFrom, overwrite: true);
    }
}
