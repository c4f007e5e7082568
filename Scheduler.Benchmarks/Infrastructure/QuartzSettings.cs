using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// The Quartz settings of one configuration bare Quartz runs with: the service's own, read from the built
/// <c>appsettings.json</c> (its <c>Scheduler</c> section) so that the comparison follows the service when its defaults
/// change, or those with batch acquisition turned on explicitly (<see cref="Best"/>).
/// </summary>
internal sealed record QuartzSettings(
    string Name,
    int Threads,
    TimeSpan CheckinInterval,
    TimeSpan CheckinMisfireThreshold,
    TimeSpan MisfireThreshold,
    TimeSpan IdleWaitTime,
    int MaxBatchSize,
    TimeSpan FireAheadWindow)
{
    /// <summary>The <c>Scheduler</c> section of <c>appsettings.json</c> in <paramref name="serviceDirectory"/>; absent keys take the service's defaults.</summary>
    public static QuartzSettings OfService(string serviceDirectory)
    {
        var path = Path.Combine(serviceDirectory, "appsettings.json");
        var root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        }) ?? throw new InvalidOperationException($"{path} is empty");
        var section = root["Scheduler"] as JsonObject ?? throw new InvalidOperationException($"{path} has no Scheduler section");
        return new QuartzSettings(
            "service settings",
            Read(section, "MaxConcurrency", 20, Integer),
            Read(section, "CheckinInterval", TimeSpan.FromSeconds(7.5), Duration),
            Read(section, "CheckinMisfireThreshold", TimeSpan.FromSeconds(7.5), Duration),
            Read(section, "MisfireThreshold", TimeSpan.FromMinutes(1), Duration),
            Read(section, "IdleWaitTime", TimeSpan.FromSeconds(5), Duration),
            Read(section, "MaxBatchSize", 0, Integer),
            Read(section, "BatchFireAheadWindow", TimeSpan.Zero, Duration));
    }

    /// <summary>The same with batch acquisition on explicitly: a batch as large as the thread pool, triggers up to 1 s ahead.</summary>
    public QuartzSettings Best() => this with { Name = "best", MaxBatchSize = Threads, FireAheadWindow = TimeSpan.FromSeconds(1) };

    /// <summary>The batch Quartz acquires: 0 is Quartz's automatic value, the thread count on a persistent store.</summary>
    public int EffectiveBatchSize => MaxBatchSize > 0 ? MaxBatchSize : Threads;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Threads} threads, batch {(MaxBatchSize > 0 ? MaxBatchSize.ToString(CultureInfo.InvariantCulture) : $"automatic ({EffectiveBatchSize})")}, "
        + $"fire-ahead {Seconds(FireAheadWindow)}, check-in {Seconds(CheckinInterval)}, check-in misfire threshold {Seconds(CheckinMisfireThreshold)}, "
        + $"misfire threshold {Seconds(MisfireThreshold)}, idle wait {Seconds(IdleWaitTime)}");

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["threads"] = Threads,
        ["maxBatchSize"] = MaxBatchSize,
        ["effectiveBatchSize"] = EffectiveBatchSize,
        ["fireAheadWindowSeconds"] = FireAheadWindow.TotalSeconds,
        ["checkinIntervalSeconds"] = CheckinInterval.TotalSeconds,
        ["checkinMisfireThresholdSeconds"] = CheckinMisfireThreshold.TotalSeconds,
        ["misfireThresholdSeconds"] = MisfireThreshold.TotalSeconds,
        ["idleWaitSeconds"] = IdleWaitTime.TotalSeconds,
    };

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private static int Integer(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static TimeSpan Duration(string text) => TimeSpan.Parse(text, CultureInfo.InvariantCulture);

    private static T Read<T>(JsonObject section, string key, T fallback, Func<string, T> parse)
    {
        var node = section[key];
        if (node is null)
        {
            return fallback;
        }

        try
        {
            return parse(node.ToString());
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"appsettings.json Scheduler:{key} = '{node}' is not a valid value", ex);
        }
    }
}
