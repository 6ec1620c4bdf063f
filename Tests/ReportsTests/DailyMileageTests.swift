import Foundation
import OrbitaModel
import Reports
import Testing

/// Mileage per calendar day in the report's time zone.
@Suite("reports: daily mileage")
struct DailyMileageTests {
    /// A drive from 23:45 to 00:05 Moscow time (20:45–21:05 UTC): split at Moscow's midnight, one day in UTC; the days
    /// add up to the trip.
    @Test func aDriveAcrossMidnightCountsOnBothDaysOfItsTimeZone() throws {
        var night = TripDetectorTests.Drive(seed: 11)
        night.second = 12 * 3_600 + 45 * 60 - 300  // the fixture day starts at 08:00 UTC
        night.halt(300, drift: 3)
        night.drive(1_200)
        night.halt(400, drift: 3)
        func days(_ zone: String) throws -> [String: Double] {
            let trips = try Derivation.rows(of: night.points).trips
            #expect(trips.count == 1)
            let mileage = DailyMileage(timeZone: try #require(TimeZone(identifier: zone)), trips: trips)
            let total = mileage.metersByDay.values.reduce(0, +)
            #expect(abs(total - (trips.first?.distanceMeters ?? 0)) < 0.001, "the days add up to the trip")
            return Dictionary(
                uniqueKeysWithValues: mileage.metersByDay.map {
                    ("\($0.key.year)-\($0.key.month)-\($0.key.day)", $0.value)
                })
        }
        let moscow = try days("Europe/Moscow")
        #expect(moscow.keys.sorted() == ["2024-6-1", "2024-6-2"])
        #expect(abs((moscow["2024-6-1"] ?? 0) - 9_000) < 40, "\(moscow)")
        #expect(abs((moscow["2024-6-2"] ?? 0) - 3_000) < 40, "\(moscow)")
        let utc = try days("UTC")
        #expect(utc.keys.sorted() == ["2024-6-1"])
        #expect(abs((utc["2024-6-1"] ?? 0) - 12_000) < 40, "the drift of the first and last steps: tens of metres")
    }

    /// Where daylight saving begins at midnight (Santiago, 2024-09-08: clocks go from 00:00 to 01:00) the day runs
    /// from 01:00 to the next midnight, 23 hours — not into the next day's first hour.
    @Test func aDayThatBeginsAtOneStillEndsAtMidnight() throws {
        let santiago = try #require(TimeZone(identifier: "America/Santiago"))
        let noon = try #require(ISO8601.parse("2024-09-08T16:00:00Z"))  // 12:00 local
        let span = DailyMileage.daySpan(of: noon, in: santiago)
        #expect(span.day == CivilDate(year: 2024, month: 9, day: 8))
        #expect(span.end.seconds(since: span.start) == 23 * 3_600)
        #expect(span.end == ISO8601.parse("2024-09-09T03:00:00Z"), "midnight of the 9th, UTC-3")
        let window = try ReportService.window(from: "2024-09-08", to: "2024-09-08", timeZone: "America/Santiago")
        #expect(window.from == span.start)
        #expect(window.to.microsecondsSinceEpoch == span.end.microsecondsSinceEpoch - 1)
    }
}
