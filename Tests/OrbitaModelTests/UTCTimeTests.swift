import OrbitaModel
import Testing

@Suite struct UTCTimeTests {
    @Test(arguments: [
        (1970, 1, 1, 0), (2000, 3, 1, 11_017), (2024, 2, 29, 19_782), (1969, 12, 31, -1), (2100, 3, 1, 47_541),
    ])
    func daysSinceEpochMatchKnownDates(year: Int, month: Int, day: Int, days: Int) throws {
        let date = try #require(CivilDate(year: year, month: month, day: day))
        #expect(date.daysSinceEpoch == days)
        #expect(CivilDate(daysSinceEpoch: days) == date)
    }

    @Test func rejectsDaysThatDoNotExist() {
        #expect(CivilDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2024, month: 13, day: 1) == nil)
        #expect(CivilDate(year: 2024, month: 4, day: 31) == nil)
    }

    @Test func roundTripsEveryDayOfFourCenturies() {
        for days in stride(from: -146_097, to: 146_097, by: 1) {
            let date = CivilDate(daysSinceEpoch: days)
            guard date.daysSinceEpoch == days, CivilDate(year: date.year, month: date.month, day: date.day) != nil
            else {
                Issue.record("day \(days) → \(date)")
                return
            }
        }
    }

    @Test func formatsISO8601WithMillisecondsAsGpsdDoes() throws {
        let date = try #require(CivilDate(year: 2020, month: 10, day: 7))
        let time = try #require(TimeOfDay(hour: 2, minute: 20, second: 21, microsecond: 7_999))
        #expect(UTCInstant(date: date, time: time).iso8601 == "2020-10-07T02:20:21.007Z")
        #expect(time.formatted == "02:20:21.007")
    }

    @Test func splitsAnInstantBeforeTheEpochCorrectly() throws {
        let instant = UTCInstant(microsecondsSinceEpoch: -1)
        #expect(instant.iso8601 == "1969-12-31T23:59:59.999Z")
    }

    @Test func acceptsALeapSecondButNotSixtyOne() {
        #expect(TimeOfDay(hour: 23, minute: 59, second: 60) != nil)
        #expect(TimeOfDay(hour: 23, minute: 59, second: 61) == nil)
        #expect(TimeOfDay(hour: 24, minute: 0, second: 0) == nil)
    }
}
