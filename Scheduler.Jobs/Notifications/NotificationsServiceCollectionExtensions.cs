using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Jobs.Configuration;

namespace Scheduler.Jobs.Notifications;

public static class NotificationsServiceCollectionExtensions
{
    /// <summary>
    /// Notifications: <c>Notifications</c> and every <c>Jobs:&lt;type&gt;:Notifications</c> validated (a bad one stops
    /// start-up, named by key), the stores, the API's use cases, the typed client and the dispatcher.
    /// </summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddValidatedOptions<NotificationOptions>(configuration, NotificationOptions.Section);
        services.AddSingleton(ConfiguredNotification.Load(configuration, services.GetJobCatalog(), options));
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<NotificationControl>();
        services.AddHttpClient<NotificationClient>(http => http.Timeout = options.Timeout)
            // Redirects are not followed: the host checked is the host called. URLs may carry tokens (heartbeat
            // URLs do), so the factory's request logging, which writes them, is off for this client.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
            .RemoveAllLoggers();
        services.AddHostedService<NotificationDispatcher>();
        return services;
    }
}
