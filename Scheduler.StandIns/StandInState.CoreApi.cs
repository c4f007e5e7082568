namespace Scheduler.StandIns;

/// <summary>The core API's admin endpoints: their Basic credentials and what they report.</summary>
public sealed partial class StandInState
{
    public const string DefaultAdminUsername = "admin";
    public const string DefaultAdminPassword = "stand-in-password";
    private const int DefaultAdminProcessed = 1;

    private readonly Dictionary<string, int> _adminProcessed = new(StringComparer.OrdinalIgnoreCase);
    private string _adminUsername = DefaultAdminUsername;
    private string _adminPassword = DefaultAdminPassword;

    /// <summary>The Basic user name <c>POST /v1/admin/…</c> accepts (default <c>admin</c>).</summary>
    public string AdminUsername
    {
        get { lock (_gate) { return _adminUsername; } }
        set { lock (_gate) { _adminUsername = value; } }
    }

    /// <summary>The Basic password <c>POST /v1/admin/…</c> accepts (default <c>stand-in-password</c>).</summary>
    public string AdminPassword
    {
        get { lock (_gate) { return _adminPassword; } }
        set { lock (_gate) { _adminPassword = value; } }
    }

    /// <summary>
    /// Makes <c>POST <paramref name="path"/></c> answer <c>{"processed": n}</c> (default 1);
    /// <paramref name="path"/> is the whole request path, e.g. <c>/v1/admin/cleanup</c>.
    /// </summary>
    public void SetAdminProcessed(string path, int n)
    {
        lock (_gate)
        {
            _adminProcessed[path] = n;
        }
    }

    internal bool IsAdmin(string username, string password)
    {
        lock (_gate)
        {
            return username == _adminUsername && password == _adminPassword;
        }
    }

    internal int AdminProcessed(string path)
    {
        lock (_gate)
        {
            return _adminProcessed.GetValueOrDefault(path, DefaultAdminProcessed);
        }
    }

    private void ResetCoreApi()
    {
        _adminProcessed.Clear();
        _adminUsername = DefaultAdminUsername;
        _adminPassword = DefaultAdminPassword;
    }
}
