using FluentAssertions;
using Quartz;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Tests.Scheduling;

public sealed class CronSyntaxTests
{
    private static readonly DateTimeOffset Wednesday = new(2026, 1, 7, 10, 0, 0, TimeSpan.Zero);

    [TestCase("*/15 * * * *", "0 */15 * * * ?", TestName = "Normalize_UnixEveryFifteenMinutes_BecomesQuartzSecondsFirst")]
    [TestCase("30 2 * * *", "0 30 2 * * ?", TestName = "Normalize_UnixDailyAtHalfPastTwo_BecomesQuartzDaily")]
    [TestCase("0 9 * * 1", "0 0 9 ? * MON", TestName = "Normalize_UnixDayOfWeekOne_BecomesMonday")]
    [TestCase("0 0 1 * *", "0 0 0 1 * ?", TestName = "Normalize_UnixMonthly_LeavesDayOfWeekAsQuestionMark")]
    [TestCase("0 9 * * MON-FRI", "0 0 9 ? * MON-FRI", TestName = "Normalize_UnixNamedWeekdays_StayNamed")]
    [TestCase("0,30 * * * *", "0 0,30 * * * ?", TestName = "Normalize_UnixMinuteList_KeepsTheList")]
    [TestCase("0 9 * * 1-5", "0 0 9 ? * MON-FRI", TestName = "Normalize_UnixNumericWeekdayRange_BecomesNamedRange")]
    [TestCase("0 9 * * 0", "0 0 9 ? * SUN", TestName = "Normalize_UnixDayZero_BecomesSunday")]
    [TestCase("0 9 * * 7", "0 0 9 ? * SUN", TestName = "Normalize_UnixDaySeven_BecomesSunday")]
    [TestCase("0 9 * * 0,6", "0 0 9 ? * SUN,SAT", TestName = "Normalize_UnixWeekendList_BecomesNamedList")]
    [TestCase("0 9 * * 5-7", "0 0 9 ? * FRI-SUN", TestName = "Normalize_UnixRangeEndingOnSeven_EndsOnSunday")]
    [TestCase("0 9 * jan-mar *", "0 0 9 * JAN-MAR ?", TestName = "Normalize_UnixLowerCaseMonths_BecomeUpperCase")]
    [TestCase("  30   2 *\t* *  ", "0 30 2 * * ?", TestName = "Normalize_UnixWithStrayWhitespace_CollapsesIt")]
    [TestCase("0 0 1 * 1", "0 0 0 1 * MON", TestName = "Normalize_UnixBothDayFields_KeepsBoth")]
    [TestCase("0 0/15 * * * ?", "0 0/15 * * * ?", TestName = "Normalize_QuartzEveryFifteenMinutes_IsUnchanged")]
    [TestCase("0 */15 * * * ?", "0 */15 * * * ?", TestName = "Normalize_QuartzStarSlashStep_IsAccepted")]
    [TestCase("0 0 9 ? * MON", "0 0 9 ? * MON", TestName = "Normalize_QuartzWeekly_IsUnchanged")]
    [TestCase("0 0 9 ? * mon-fri", "0 0 9 ? * MON-FRI", TestName = "Normalize_QuartzLowerCaseDays_BecomeUpperCase")]
    [TestCase("0  0/15\t* * * ?", "0 0/15 * * * ?", TestName = "Normalize_QuartzWithStrayWhitespace_CollapsesIt")]
    [TestCase("0 0 9 ? * MON 2030", "0 0 9 ? * MON 2030", TestName = "Normalize_QuartzWithYear_IsUnchanged")]
    [TestCase("0 0 9 L * ?", "0 0 9 L * ?", TestName = "Normalize_QuartzLastDayOfMonth_IsUnchanged")]
    [TestCase("0 0 9 ? * 6#3", "0 0 9 ? * 6#3", TestName = "Normalize_QuartzNthWeekday_IsUnchanged")]
    [TestCase("@daily", "0 0 0 * * ?", TestName = "Normalize_DailyMacro_IsExpanded")]
    public void Normalize_AcceptedExpression_BecomesCanonicalQuartz(string input, string expected)
    {
        var accepted = CronSyntax.TryNormalize(input, out var quartzCron, out var error);

        accepted.Should().BeTrue(error);
        error.Should().BeNull();
        quartzCron.Should().Be(expected);
        CronExpression.TryParse(quartzCron, out _).Should().BeTrue("the result is for Quartz's own parser");
    }

    [TestCase("0 9 * * 0", DayOfWeek.Sunday)]
    [TestCase("0 9 * * 7", DayOfWeek.Sunday)]
    [TestCase("0 9 * * 1-5", DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday)]
    [TestCase("0 9 * * 1/2", DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Friday)]
    [TestCase("0 9 * * */2", DayOfWeek.Sunday, DayOfWeek.Tuesday, DayOfWeek.Thursday, DayOfWeek.Saturday)]
    [TestCase("0 9 * * 6-7", DayOfWeek.Saturday, DayOfWeek.Sunday)]
    public void Normalize_UnixDayOfWeekNumbers_FireOnTheDaysCrontabMeans(string unix, params DayOfWeek[] days)
    {
        CronSyntax.TryNormalize(unix, out var quartzCron, out var error).Should().BeTrue(error);

        var fires = ScheduleProjection.Compute(quartzCron, "UTC", Wednesday, 21).FireTimes;

        fires.Select(f => f.Utc.DayOfWeek).Distinct().Should().BeEquivalentTo(days);
        fires.Should().OnlyContain(f => f.Utc.TimeOfDay == TimeSpan.FromHours(9));
    }

    [Test]
    public void Normalize_UnixBothDayFields_FiresOnTheFirstAndOnEveryMondayLikeCrontab()
    {
        CronSyntax.TryNormalize("0 0 1 * 1", out var quartzCron, out _).Should().BeTrue();
        var trigger = (ICronTrigger)TriggerBuilder.Create()
            .WithCronSchedule(quartzCron, c => c.InTimeZone(TimeZoneInfo.Utc))
            .StartAt(Wednesday)
            .Build();

        var fires = Walk(trigger, Wednesday, 6);

        // 1 February 2026 is a Sunday: it fires as the 1st, and the Mondays fire as Mondays.
        fires.Should().Equal(
            At(2026, 1, 12), At(2026, 1, 19), At(2026, 1, 26), At(2026, 2, 1), At(2026, 2, 2), At(2026, 2, 9));
    }

    [TestCase(null, "required", TestName = "Normalize_Null_IsRefusedAsRequired")]
    [TestCase("", "required", TestName = "Normalize_Empty_IsRefusedAsRequired")]
    [TestCase("   ", "required", TestName = "Normalize_Blank_IsRefusedAsRequired")]
    [TestCase("* * * *", "has 4 fields", TestName = "Normalize_FourFields_IsRefusedNamingTheCount")]
    [TestCase("0 0 9 ? * MON 2030 x", "has 8 fields", TestName = "Normalize_EightFields_IsRefusedNamingTheCount")]
    [TestCase("every minute", "has 2 fields", TestName = "Normalize_Prose_IsRefusedNamingTheCount")]
    [TestCase("60 * * * *", "minute field '60'", TestName = "Normalize_UnixMinuteSixty_IsRefusedNamingTheField")]
    [TestCase("0 24 * * *", "hour field '24'", TestName = "Normalize_UnixHourTwentyFour_IsRefusedNamingTheField")]
    [TestCase("0 9 * * 8", "day-of-week field '8'", TestName = "Normalize_UnixDayEight_IsRefusedNamingTheField")]
    [TestCase("0 9 * * 1-", "day-of-week field '1-'", TestName = "Normalize_UnixOpenRange_IsRefusedNamingTheField")]
    [TestCase("*/0 * * * *", "A step of 0 is not a step", TestName = "Normalize_UnixStepOfZero_IsRefusedWithQuartzsReason")]
    [TestCase("H * * * *", "H (hash) tokens", TestName = "Normalize_HashToken_IsRefusedSayingSo")]
    [TestCase("0 9 */2 * 1", "Quartz can only fire on days matching either", TestName = "Normalize_UnixStarredDayFieldWithDayOfWeek_IsRefusedAsUnexpressible")]
    [TestCase("0 0 9 ? * FOO", "day-of-week field 'FOO'", TestName = "Normalize_QuartzUnknownDayName_IsRefusedNamingTheField")]
    [TestCase("0 0 9 ? * 0", "1 = Sunday", TestName = "Normalize_QuartzDayZero_IsRefusedExplainingTheNumbering")]
    [TestCase("0 0 9 ? 13 *", "month field '13'", TestName = "Normalize_QuartzMonthThirteen_IsRefusedNamingTheField")]
    [TestCase("? 0 0 * * ?", "seconds field '?'", TestName = "Normalize_QuartzQuestionMarkInSeconds_IsRefusedNamingTheField")]
    [TestCase("0 0 9 ? * MON 1960", "year field '1960'", TestName = "Normalize_QuartzYearBefore1970_IsRefusedNamingTheField")]
    [TestCase("0 0 0 30 2 ?", "never fires", TestName = "Normalize_ThirtiethOfFebruary_IsRefusedAsNeverFiring")]
    [TestCase("* */5 * ? * *", "'0 */5 * ? * *'", TestName = "Normalize_WildcardSecondsUnderAStep_IsRefusedWithTheSecondsAtZero")]
    [TestCase("@fortnightly", "The supported macros are", TestName = "Normalize_UnknownMacro_IsRefusedListingTheMacros")]
    [TestCase("0 0 9 ? * MON-", "day-of-week field 'MON-' is not valid: it is not a value, a range", TestName = "Normalize_QuartzOpenRange_IsRefusedSayingWhatTheFieldAccepts")]
    public void Normalize_RefusedExpression_SaysWhy(string? input, string reason)
    {
        var accepted = CronSyntax.TryNormalize(input, out var quartzCron, out var error);

        accepted.Should().BeFalse();
        quartzCron.Should().BeEmpty();
        error.Should().Contain(reason);
    }

    [Test]
    public void Normalize_LongerThanTwoHundredCharacters_IsRefusedSayingTheLimit()
    {
        var input = "0 0 9 ? * " + string.Join(',', Enumerable.Repeat("MON", 60));

        CronSyntax.TryNormalize(input, out _, out var error).Should().BeFalse();

        error.Should().Contain("at most 200");
    }

    [Test]
    public void Normalize_Garbage_NeverThrowsAndAlwaysExplainsARefusal()
    {
        const string Alphabet = "0123456789*/,-?LW#HCMONTUESDJFBARPYGV@ \t";
        var random = new Random(20260329);
        for (var i = 0; i < 5000; i++)
        {
            // Half free text, half five to seven short fields, which reach the field-by-field diagnosis.
            var input = i % 2 == 0
                ? Token(random, Alphabet, random.Next(0, 40))
                : string.Join(' ', Enumerable.Range(0, random.Next(5, 8)).Select(_ => Token(random, Alphabet.TrimEnd('\t', ' '), random.Next(1, 5))));
            var accepted = CronSyntax.TryNormalize(input, out var quartzCron, out var error);

            if (accepted)
            {
                CronExpression.TryParse(quartzCron, out _).Should().BeTrue($"'{input}' was accepted as '{quartzCron}'");
            }
            else
            {
                error.Should().NotBeNullOrWhiteSpace($"'{input}' was refused");
            }
        }
    }

    private static List<DateTimeOffset> Walk(ITrigger trigger, DateTimeOffset from, int count)
    {
        var fires = new List<DateTimeOffset>();
        DateTimeOffset? cursor = from;
        while (fires.Count < count && trigger.GetFireTimeAfter(cursor) is { } next)
        {
            fires.Add(next);
            cursor = next;
        }

        return fires;
    }

    private static string Token(Random random, string alphabet, int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);

    private static DateTimeOffset At(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);
}
