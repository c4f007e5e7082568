using System.Reflection;
using Scheduler.Contracts;
using Scheduler.StandIns;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// The settings a benchmark node starts with: production defaults (appsettings.json) except where the benchmark
/// must differ, each difference listed in <see cref="Differences"/> and in the report.
/// </summary>
internal static class NodeSettings
{
    /// <summary>The stand-in endpoint every benchmark job type calls: the core API's admin catch-all, one path per type.</summary>
    public static string PathOf(string jobType) => $"/v1/admin/bench/{jobType}";

    /// <summary>The cluster settings the tests use for fast failure detection (ClusterExecutionTests.FastCluster).</summary>
    public static readonly IReadOnlyDictionary<string, string> Fast = new Dictionary<string, string>
    {
        ["Scheduler:CheckinInterval"] = "00:00:01",
        ["Scheduler:CheckinMisfireThreshold"] = "00:00:02",
        ["Recovery:HeartbeatInterval"] = "00:00:01",
        ["Recovery:StaleAfter"] = "00:00:05",
    };

    public static readonly string[] Differences =
    [
        "every downstream service is the in-process stand-in on 127.0.0.1 (Services:<service>:BaseUrl)",
        "the built-in job types are not scheduled (Jobs:<type>:Scheduled=false), so only the benchmark's own types fire",
        "RateLimiting:MutationsPerWindow=100000 per 1 s window (the drivers trigger hundreds of runs per second as one caller)",
        "ASPNETCORE_ENVIRONMENT=Testing (the local RS256 issuer is refused in Production); logs at the production level (Information, JSON) to a file",
    ];

    public static Dictionary<string, string> Base(BenchContext bench, string connectionString)
    {
        var values = new Dictionary<string, string>
        {
            ["ConnectionStrings:Scheduler"] = connectionString,
            ["Auth:Local:SigningKeyFile"] = bench.Tokens.KeyFile,
            ["Services:CoreApi:Username"] = StandInState.DefaultAdminUsername,
            ["Services:CoreApi:Password"] = StandInState.DefaultAdminPassword,
            ["RateLimiting:MutationsPerWindow"] = "100000",
            ["RateLimiting:Window"] = "00:00:01",
        };
        foreach (var service in new[] { "Crawler", "Discovery", "Email", "User", "CoreApi" })
        {
            values[$"Services:{service}:BaseUrl"] = bench.StandIns.BaseUrl;
        }

        foreach (var jobType in BuiltInTypes)
        {
            values[$"Jobs:{jobType}:Scheduled"] = "false";
        }

        return values;
    }

    /// <summary>Declares HTTP-call job types <paramref name="names"/> against the stand-in; <paramref name="cron"/> null keeps them manual-only.</summary>
    public static Dictionary<string, string> WithTypes(this Dictionary<string, string> values, IEnumerable<string> names, string? cron = null)
    {
        foreach (var name in names)
        {
            values[$"Jobs:{name}:Kind"] = "HttpCall";
            values[$"Jobs:{name}:Service"] = "CoreApi";
            values[$"Jobs:{name}:Method"] = "POST";
            values[$"Jobs:{name}:Path"] = PathOf(name);
            // A cron is required of every HTTP-call type; a manual-only type keeps a yearly one, unscheduled.
            values[$"Jobs:{name}:Cron"] = cron ?? "0 0 0 1 1 ?";
            values[$"Jobs:{name}:Scheduled"] = cron is null ? "false" : "true";
        }

        return values;
    }

    public static Dictionary<string, string> With(this Dictionary<string, string> values, IReadOnlyDictionary<string, string> more)
    {
        foreach (var (key, value) in more)
        {
            values[key] = value;
        }

        return values;
    }

    public static IEnumerable<string> Names(string prefix, int count) => Enumerable.Range(0, count).Select(i => $"{prefix}_{i}");

    private static IEnumerable<string> BuiltInTypes =>
        typeof(JobTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!);
}
