namespace Scheduler.Testing;

public static class Repository
{
    /// <summary>The repository's root (where Scheduler.sln is), found above the running assembly's directory.</summary>
    public static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Scheduler.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new InvalidOperationException($"Scheduler.sln not found above {AppContext.BaseDirectory}");
        }
    }
}
