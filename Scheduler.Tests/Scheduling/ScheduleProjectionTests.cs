using FluentAssertions;
using Quartz;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Tests.Scheduling;

public sealed class ScheduleProjectionTests
{
    private const string DailyAtHalfPastTwo = "0 30 2 * * ?";

    // Europe/Berlin 2026: 29 March 02:00 CET -> 03:00 CEST (01:00Z); 25 October 03:00 CEST -> 02:00 CET (01:00Z).
    // America/New_York 2026: 8 March 02:00 EST -> 03:00 EDT (07:00Z); 1 November 02:00 EDT -> 01:00 EST (06:00Z).
    [Test]
    public void DailyHalfPastTwo_OnBerlinSpringForwardDay_FiresOnceAtTheEndOfTheGap()
    {
        var projection = ScheduleProjection.Compute(DailyAtHalfPastTwo, "Europe/Berlin", Utc(2026, 3, 26, 12), 7);

        ExactlyOneFireOn(projection, new DateOnly(2026, 3, 29)).Should().Be(new ProjectedFireTime(
            Utc: Utc(2026, 3, 29, 1),
            Local: new DateTimeOffset(2026, 3, 29, 3, 0, 0, Hours(2)),
            DstTransition: true));
        EveryLocalDateOnce(projection);
        projection.FireTimes.Where(f => f.DstTransition).Should().ContainSingle();
        projection.Transitions.Should().Equal(new UtcOffsetTransition(Utc(2026, 3, 29, 1), Hours(1), Hours(2)));
    }

    [Test]
    public void DailyHalfPastTwo_OnBerlinFallBackDay_FiresOnceAtTheFirstHalfPastTwo()
    {
        var projection = ScheduleProjection.Compute(DailyAtHalfPastTwo, "Europe/Berlin", Utc(2026, 10, 22, 12), 7);

        ExactlyOneFireOn(projection, new DateOnly(2026, 10, 25)).Should().Be(new ProjectedFireTime(
            Utc: Utc(2026, 10, 25, 0, 30),
            Local: new DateTimeOffset(2026, 10, 25, 2, 30, 0, Hours(2)),
            DstTransition: false));
        EveryLocalDateOnce(projection);
        projection.FireTimes.Should().ContainSingle(f => f.DstTransition)
            .Which.Local.Should().Be(new DateTimeOffset(2026, 10, 26, 2, 30, 0, Hours(1)));
        projection.Transitions.Should().Equal(new UtcOffsetTransition(Utc(2026, 10, 25, 1), Hours(2), Hours(1)));
    }

    [Test]
    public void DailyHalfPastTwo_OnNewYorkSpringForwardDay_FiresOnceAtTheEndOfTheGap()
    {
        var projection = ScheduleProjection.Compute(DailyAtHalfPastTwo, "America/New_York", Utc(2026, 3, 5, 12), 7);

        ExactlyOneFireOn(projection, new DateOnly(2026, 3, 8)).Should().Be(new ProjectedFireTime(
            Utc: Utc(2026, 3, 8, 7),
            Local: new DateTimeOffset(2026, 3, 8, 3, 0, 0, Hours(-4)),
            DstTransition: true));
        EveryLocalDateOnce(projection);
        projection.FireTimes.Where(f => f.DstTransition).Should().ContainSingle();
        projection.Transitions.Should().Equal(new UtcOffsetTransition(Utc(2026, 3, 8, 7), Hours(-5), Hours(-4)));
    }

    [Test]
    public void DailyHalfPastTwo_OnNewYorkFallBackDay_FiresOnce()
    {
        var projection = ScheduleProjection.Compute(DailyAtHalfPastTwo, "America/New_York", Utc(2026, 10, 29, 12), 7);

        // New York repeats 01:00-02:00, so 02:30 happens once, already in standard time.
        ExactlyOneFireOn(projection, new DateOnly(2026, 11, 1)).Should().Be(new ProjectedFireTime(
            Utc: Utc(2026, 11, 1, 7, 30),
            Local: new DateTimeOffset(2026, 11, 1, 2, 30, 0, Hours(-5)),
            DstTransition: true));
        EveryLocalDateOnce(projection);
        projection.Transitions.Should().Equal(new UtcOffsetTransition(Utc(2026, 11, 1, 6), Hours(-4), Hours(-5)));
    }

    [Test]
    public void DailyHalfPastOne_OnNewYorkFallBackDay_FiresOnceAtTheFirstHalfPastOne()
    {
        var projection = ScheduleProjection.Compute("0 30 1 * * ?", "America/New_York", Utc(2026, 10, 29, 12), 7);

        ExactlyOneFireOn(projection, new DateOnly(2026, 11, 1)).Local
            .Should().Be(new DateTimeOffset(2026, 11, 1, 1, 30, 0, Hours(-4)));
        EveryLocalDateOnce(projection);
    }

    [TestCase("Europe/Berlin", "2026-03-29")]
    [TestCase("Europe/Berlin", "2026-10-25")]
    [TestCase("America/New_York", "2026-03-08")]
    [TestCase("America/New_York", "2026-11-01")]
    public void DailyHalfPastTwo_QuartzCronTrigger_FiresOncePerLocalDateAcrossTheTransition(string zoneId, string transitionDay)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var day = DateOnly.Parse(transitionDay, System.Globalization.CultureInfo.InvariantCulture);
        var now = new DateTimeOffset(day.AddDays(-7).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var trigger = (ICronTrigger)TriggerBuilder.Create()
            .WithCronSchedule(DailyAtHalfPastTwo, c => c.InTimeZone(zone))
            .StartAt(now)
            .Build();

        var fires = new List<DateTimeOffset>();
        DateTimeOffset? cursor = now;
        while (trigger.GetFireTimeAfter(cursor) is { } next && next < now.AddDays(15))
        {
            fires.Add(next);
            cursor = next;
        }

        var localDates = fires.Select(f => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(f, zone).DateTime)).ToList();
        localDates.Should().OnlyHaveUniqueItems().And.Contain(day).And.HaveCount(15);
        fires.Should().Equal(ScheduleProjection.Compute(DailyAtHalfPastTwo, zone, now, 15).FireTimes.Select(f => f.Utc),
            "the projection shows what the scheduler's trigger does");
    }

    [TestCase("2026-03-29T00:30:00Z", TestName = "EveryFifteenMinutes_AcrossBerlinSpringForward_StaysFifteenMinutesApart")]
    [TestCase("2026-10-25T00:00:00Z", TestName = "EveryFifteenMinutes_AcrossBerlinFallBack_StaysFifteenMinutesApart")]
    public void EveryFifteenMinutes_AcrossATransition_StaysFifteenMinutesApart(string now)
    {
        var projection = ScheduleProjection.Compute("*/15 * * * *", "Europe/Berlin", DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), 12);

        projection.FireTimes.Zip(projection.FireTimes.Skip(1), (a, b) => b.Utc - a.Utc)
            .Should().AllBeEquivalentTo(TimeSpan.FromMinutes(15));
        projection.FireTimes.Where(f => f.DstTransition).Should().ContainSingle()
            .Which.Utc.Should().Be(projection.Transitions.Should().ContainSingle().Subject.At);
    }

    [Test]
    public void ExpectedInterval_EveryFifteenMinutes_IsFifteenMinutes()
    {
        var projection = ScheduleProjection.Compute("*/15 * * * *", "UTC", Utc(2026, 1, 7, 10, 7), 5);

        projection.ExpectedInterval.Should().Be(TimeSpan.FromMinutes(15));
    }

    [Test]
    public void ExpectedInterval_Weekly_IsSevenDays()
    {
        var projection = ScheduleProjection.Compute("0 0 9 ? * MON", "Europe/Berlin", Utc(2026, 1, 7, 10), 1);

        projection.ExpectedInterval.Should().Be(TimeSpan.FromDays(7));
    }

    [Test]
    public void ExpectedInterval_DailyAcrossSpringForward_IsTheRealTimeBetweenTheFires()
    {
        // Noon on the 28th is 11:00Z; noon on the 29th, in summer time, is 10:00Z.
        var projection = ScheduleProjection.Compute("0 0 12 * * ?", "Europe/Berlin", Utc(2026, 3, 28, 6), 2);

        projection.ExpectedInterval.Should().Be(TimeSpan.FromHours(23));
    }

    [Test]
    public void Compute_WeeklyMondayNineInUtc_ListsTheNextFiveMondays()
    {
        var projection = ScheduleProjection.Compute("0 0 9 ? * MON", "UTC", Utc(2026, 1, 7, 10), 5);

        projection.FireTimes.Select(f => f.Utc).Should().Equal(
            Utc(2026, 1, 12, 9), Utc(2026, 1, 19, 9), Utc(2026, 1, 26, 9), Utc(2026, 2, 2, 9), Utc(2026, 2, 9, 9));
        projection.FireTimes.Should().OnlyContain(f => f.Local == f.Utc && f.Local.Offset == TimeSpan.Zero && !f.DstTransition);
        projection.Transitions.Should().BeEmpty();
        projection.CronExpression.Should().Be("0 0 9 ? * MON");
        projection.TimeZone.Should().Be("UTC");
    }

    [Test]
    public void Compute_NowExactlyOnAFireTime_StartsWithTheNextOne()
    {
        var projection = ScheduleProjection.Compute("0 0 9 ? * MON", "UTC", Utc(2026, 1, 12, 9), 1);

        projection.FireTimes.Should().ContainSingle().Which.Utc.Should().Be(Utc(2026, 1, 19, 9));
    }

    [Test]
    public void Compute_NowInAnotherOffset_ProjectsFromThatInstant()
    {
        var now = new DateTimeOffset(2026, 1, 12, 10, 0, 0, Hours(2));

        var projection = ScheduleProjection.Compute("0 0 9 ? * MON", "UTC", now, 1);

        projection.From.Should().Be(now);
        projection.From.Offset.Should().Be(TimeSpan.Zero);
        projection.FireTimes.Should().ContainSingle().Which.Utc.Should().Be(Utc(2026, 1, 12, 9));
    }

    [Test]
    public void Compute_MonthlyOverAYear_ListsBothTransitionsAndFlagsTheFiresAfterThem()
    {
        var projection = ScheduleProjection.Compute("0 0 12 1 * ?", "Europe/Berlin", Utc(2026, 1, 15, 0), 12);

        projection.Transitions.Should().Equal(
            new UtcOffsetTransition(Utc(2026, 3, 29, 1), Hours(1), Hours(2)),
            new UtcOffsetTransition(Utc(2026, 10, 25, 1), Hours(2), Hours(1)));
        projection.FireTimes.Where(f => f.DstTransition).Select(f => f.Local.Date)
            .Should().Equal(new DateTime(2026, 4, 1), new DateTime(2026, 11, 1));
        projection.FireTimes.Should().OnlyContain(f => f.Local.TimeOfDay == TimeSpan.FromHours(12));
    }

    [Test]
    public void Compute_InAZoneWithAHalfHourShift_FindsTheTransitionToTheSecond()
    {
        // Lord Howe Island moves by 30 minutes: 02:00 +10:30 -> 02:30 +11:00 on 4 October 2026 (15:30Z on the 3rd).
        var projection = ScheduleProjection.Compute("0 0 12 * * ?", "Australia/Lord_Howe", Utc(2026, 10, 1, 0), 5);

        projection.Transitions.Should().Equal(new UtcOffsetTransition(
            Utc(2026, 10, 3, 15, 30), new TimeSpan(10, 30, 0), TimeSpan.FromHours(11)));
    }

    [Test]
    public void Compute_YearFieldInThePast_HasNoFireTimes()
    {
        var projection = ScheduleProjection.Compute("0 0 9 1 1 ? 2020", "UTC", Utc(2026, 1, 7, 10), 5);

        projection.FireTimes.Should().BeEmpty();
        projection.Transitions.Should().BeEmpty();
        projection.ExpectedInterval.Should().BeNull();
    }

    [Test]
    public void Compute_UnixForm_IsProjectedAsItsQuartzForm()
    {
        var projection = ScheduleProjection.Compute("0 9 * * 1", "UTC", Utc(2026, 1, 7, 10), 1);

        projection.CronExpression.Should().Be("0 0 9 ? * MON");
        projection.FireTimes.Should().ContainSingle().Which.Utc.Should().Be(Utc(2026, 1, 12, 9));
    }

    [TestCase(0)]
    [TestCase(51)]
    public void Compute_CountOutsideOneToFifty_Throws(int count)
    {
        var act = () => ScheduleProjection.Compute("0 0 9 ? * MON", "UTC", Utc(2026, 1, 7, 10), count);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void Compute_InvalidCron_ThrowsWithTheReason()
    {
        var act = () => ScheduleProjection.Compute("0 0 25 * * ?", "UTC", Utc(2026, 1, 7, 10), 5);

        act.Should().Throw<ArgumentException>().WithMessage("*hours field '25'*");
    }

    [Test]
    public void Compute_UnknownZone_ThrowsWithTheReason()
    {
        var act = () => ScheduleProjection.Compute("0 0 9 ? * MON", "Mars/Olympus_Mons", Utc(2026, 1, 7, 10), 5);

        act.Should().Throw<ArgumentException>().WithMessage("*'Mars/Olympus_Mons' is not a known time zone*");
    }

    [TestCase("Europe/Berlin")]
    [TestCase("America/New_York")]
    [TestCase("UTC")]
    [TestCase("Etc/UTC")]
    [TestCase("Asia/Kolkata")]
    [TestCase("America/Argentina/Buenos_Aires")]
    public void TryGetTimeZone_IanaId_IsFound(string id)
    {
        ScheduleProjection.TryGetTimeZone(id, out var zone, out var error).Should().BeTrue(error);

        error.Should().BeNull();
        zone.Id.Should().Be(id);
        zone.HasIanaId.Should().BeTrue();
    }

    [TestCase(null, "required", TestName = "TryGetTimeZone_Null_IsRefusedAsRequired")]
    [TestCase("", "required", TestName = "TryGetTimeZone_Empty_IsRefusedAsRequired")]
    [TestCase("Mars/Olympus_Mons", "not a known time zone", TestName = "TryGetTimeZone_UnknownId_IsRefusedWithAnExample")]
    [TestCase("W. Europe Standard Time", "use the IANA id 'Europe/Berlin'", TestName = "TryGetTimeZone_WindowsId_IsRefusedNamingTheIanaId")]
    [TestCase("../../../etc/passwd", "not a time zone id", TestName = "TryGetTimeZone_Path_IsRefused")]
    [TestCase("Europe/Berlin ", "not a time zone id", TestName = "TryGetTimeZone_TrailingSpace_IsRefused")]
    [TestCase("UTC-11", "use the IANA id 'Etc/GMT+11'", TestName = "TryGetTimeZone_WindowsIdShapedLikeIana_IsRefusedNamingTheIanaId")]
    [TestCase("europe/berlin", "case-sensitive; use 'Europe/Berlin'", TestName = "TryGetTimeZone_Miscased_IsRefusedNamingTheSpelling")]
    [TestCase("posix/Europe/Berlin", "not a zone to schedule in", TestName = "TryGetTimeZone_PosixCopy_IsRefused")]
    [TestCase("right/UTC", "not a zone to schedule in", TestName = "TryGetTimeZone_LeapSecondZone_IsRefused")]
    [TestCase("localtime", "not a zone to schedule in", TestName = "TryGetTimeZone_Localtime_IsRefused")]
    public void TryGetTimeZone_NotAnIanaZone_IsRefusedSayingWhy(string? id, string reason)
    {
        ScheduleProjection.TryGetTimeZone(id, out _, out var error).Should().BeFalse();

        error.Should().Contain(reason);
    }

    private static ProjectedFireTime ExactlyOneFireOn(ScheduleProjection projection, DateOnly localDate) =>
        projection.FireTimes.Should().ContainSingle(f => DateOnly.FromDateTime(f.Local.DateTime) == localDate).Subject;

    private static void EveryLocalDateOnce(ScheduleProjection projection) =>
        projection.FireTimes.Select(f => DateOnly.FromDateTime(f.Local.DateTime)).Should().OnlyHaveUniqueItems();

    private static TimeSpan Hours(int hours) => TimeSpan.FromHours(hours);

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);
}
