using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Scheduler.Service.Dashboard;

/// <summary>The dashboard's files, read once from the assembly's <c>dashboard/…</c> resources.</summary>
internal sealed class DashboardAssets
{
    private const string ResourcePrefix = "dashboard/";
    private readonly FrozenDictionary<string, Asset> _assets;

    private DashboardAssets(FrozenDictionary<string, Asset> assets) => _assets = assets;

    public sealed record Asset(byte[] Content, string ContentType, EntityTagHeaderValue ETag);

    public static DashboardAssets Load(Assembly assembly)
    {
        var types = new FileExtensionContentTypeProvider();
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            // MSBuild's RecursiveDir uses the build machine's separator.
            var path = name.Replace('\\', '/');
            if (!path.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var contentType = types.TryGetContentType(path, out var type) ? type : "application/octet-stream";
            if (contentType.StartsWith("text/", StringComparison.Ordinal))
            {
                contentType += "; charset=utf-8";
            }

            var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
            assets[path[ResourcePrefix.Length..]] = new Asset(content, contentType, etag);
        }

        if (assets.Count == 0)
        {
            throw new InvalidOperationException("The dashboard's files are missing from the assembly (EmbeddedResource dashboard/…).");
        }

        return new DashboardAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public bool TryGet(string path, out Asset asset) => _assets.TryGetValue(path, out asset!);
}
