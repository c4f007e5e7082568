using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Digest;

/// <summary>
/// <c>weekly_digest</c>: active users with the digest enabled (user service, page by page), each one's
/// recommendations (discovery service), sent in batches to the email service with their name and content.
/// <para>
/// A user is mailed at most once per ISO week: users recorded in <c>digest_deliveries</c> for the week
/// are skipped, and each message carries the key <c>weekly_digest:&lt;week&gt;:&lt;user id&gt;</c>, so a
/// run that stops between sending and recording does not mail anyone twice when it runs again.
/// </para>
/// </summary>
public sealed class WeeklyDigestJob(
    UserClient users,
    DiscoveryClient discovery,
    EmailClient email,
    DigestDeliveryStore deliveries,
    JobCatalog catalog,
    TimeProvider time,
    IOptionsMonitor<WeeklyDigestOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        var recommendationsPerUser = WeeklyDigestType.RecommendationsPerUser.ValueIn(context, settings);
        var week = IsoWeek(context.ScheduledFireTimeUtc ?? time.GetUtcNow());
        var executionId = context.GetExecutionId() ?? Guid.Empty;
        var tally = new Tally(week);
        var outbox = new List<(DigestRecipient User, EmailMessage Message)>();
        // A listing that shifts between pages can show a user twice; each is considered once per run.
        var considered = new HashSet<string>(StringComparer.Ordinal);

        async Task FlushAsync()
        {
            if (outbox.Count == 0)
            {
                return;
            }

            var byKey = outbox.ToDictionary(o => o.Message.IdempotencyKey, o => o.User.Id, StringComparer.Ordinal);
            var response = await email.SendAsync(new SendEmailRequest([.. outbox.Select(o => o.Message)]), BatchKey(week, byKey.Keys), cancellationToken);
            var accepted = response.Results.Where(r => r.Success && byKey.ContainsKey(r.IdempotencyKey)).ToList();
            await deliveries.RecordAsync(week, [.. accepted.Select(r => (byKey[r.IdempotencyKey], r.IdempotencyKey))], executionId, time.GetUtcNow(), cancellationToken);
            tally.Batch(response, byKey);
            outbox.Clear();
            context.Result = tally.ToResult();
        }

        for (var page = 1; ; page++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var recipients = await users.GetDigestRecipientsAsync(page, settings.UserPageSize, cancellationToken);
            if (recipients.Users.Count == 0)
            {
                break;
            }

            var alreadySent = await deliveries.AlreadySentAsync(week, [.. recipients.Users.Select(u => u.Id)], cancellationToken);
            foreach (var user in recipients.Users)
            {
                if (!considered.Add(user.Id))
                {
                    continue;
                }

                if (alreadySent.Contains(user.Id))
                {
                    tally.SkippedAlreadySent++;
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var content = await discovery.GetRecommendationsAsync(user.Id, recommendationsPerUser, cancellationToken);
                if (content.Recommendations.Count == 0)
                {
                    tally.SkippedNoRecommendations++;
                    continue;
                }

                outbox.Add((user, new EmailMessage(
                    MessageKey(week, user.Id), user.Email, user.Name, settings.Template, settings.Subject,
                    [.. content.Recommendations.Take(recommendationsPerUser)])));
                if (outbox.Count == settings.EmailBatchSize)
                {
                    await FlushAsync();
                }
            }

            context.Result = tally.ToResult();
            if (recipients.Users.Count < settings.UserPageSize || (long)page * settings.UserPageSize >= recipients.Total)
            {
                break;
            }
        }

        await FlushAsync();
        context.Result = tally.ToResult();
    }

    /// <summary>The ISO 8601 week of <paramref name="at"/> in the schedule's time zone, e.g. <c>2026-W47</c>.</summary>
    private string IsoWeek(DateTimeOffset at)
    {
        catalog.TryGet(JobTypes.WeeklyDigest, out var definition);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(definition?.TimeZone ?? "UTC");
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        return $"{ISOWeek.GetYear(local):D4}-W{ISOWeek.GetWeekOfYear(local):D2}";
    }

    internal static string MessageKey(string week, string userId) => $"{JobTypes.WeeklyDigest}:{week}:{userId}";

    /// <summary>Derived from the messages it carries, so the same batch posted again carries the same key.</summary>
    private static string BatchKey(string week, IEnumerable<string> messageKeys)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', messageKeys.Order(StringComparer.Ordinal))));
        return $"{JobTypes.WeeklyDigest}:{week}:batch-{Convert.ToHexStringLower(digest)[..16]}";
    }

    private sealed class Tally(string week)
    {
        private readonly List<string> _errors = [];
        private int _sent;
        private int _failed;
        private int _alreadyAtProvider;
        private int _batches;

        public int SkippedAlreadySent { get; set; }

        public int SkippedNoRecommendations { get; set; }

        public void Batch(SendEmailResponse response, Dictionary<string, string> userByKey)
        {
            _batches++;
            foreach (var result in response.Results)
            {
                if (result.Success)
                {
                    _sent++;
                    _alreadyAtProvider += result.Duplicate ? 1 : 0;
                }
                else
                {
                    _failed++;
                    var user = userByKey.TryGetValue(result.IdempotencyKey, out var id) ? id : result.IdempotencyKey;
                    _errors.Add($"user {user}: {result.Error ?? "not sent"}");
                }
            }
        }

        public JobResult ToResult()
        {
            var skipped = SkippedAlreadySent + SkippedNoRecommendations;
            var details = new Dictionary<string, object?>
            {
                ["week"] = week,
                ["sent"] = _sent,
                ["skipped"] = skipped,
                ["failed"] = _failed,
                ["skippedAlreadySent"] = SkippedAlreadySent,
                ["skippedNoRecommendations"] = SkippedNoRecommendations,
                ["alreadyAcceptedByEmailService"] = _alreadyAtProvider,
                ["emailBatches"] = _batches,
            };
            if (_sent + _failed == 0)
            {
                details["note"] = skipped == 0 ? "no active users with the digest enabled" : $"nobody left to mail for {week}";
            }

            return new JobResult { Success = true, ItemsProcessed = _sent + _failed + skipped, Errors = JobResults.Bounded(_errors), Details = details };
        }
    }
}
