public import Foundation
public import OrbitaModel

/// Distance per calendar day in a time zone, summed from mileage slices (a trip's quarter hours: a trip across
/// midnight counts on both days). Days are found by the zone's rules (daylight saving included), one calendar
/// computation per day boundary met, not per slice: a quarter hour lies within one day in every zone.
public struct DailyMileage: Sendable {
    /// The time zone whose days are counted.
    public let timeZone: TimeZone
    /// Metres per day.
    public private(set) var metersByDay: [CivilDate: Double] = [:]
    /// The day being filled and its span, [start, end) in µs since the epoch.
    private var current: (day: CivilDate, start: Int64, end: Int64)?

    /// Counts in `timeZone` (UTC by default).
    public init(timeZone: TimeZone = .gmt) {
        self.timeZone = timeZone
    }

    /// Adds every slice of `trips`.
    public init(timeZone: TimeZone = .gmt, trips: some Sequence<Trip>) {
        self.init(timeZone: timeZone)
        for trip in trips {
            for slice in trip.mileage { add(slice) }
        }
    }

    /// Credits a slice to the day its quarter hour lies in.
    public mutating func add(_ slice: MileageSlice) {
        guard slice.meters != 0 else { return }
        metersByDay[day(of: MileageSlice.start(of: slice.quarterHour)), default: 0] += slice.meters
    }

    /// The calendar day of an instant in the zone.
    public mutating func day(of time: UTCInstant) -> CivilDate {
        let micros = time.microsecondsSinceEpoch
        if let current, micros >= current.start, micros < current.end { return current.day }
        let span = Self.daySpan(of: time, in: timeZone)
        current = (span.day, span.start.microsecondsSinceEpoch, span.end.microsecondsSinceEpoch)
        return span.day
    }

    /// The calendar day an instant falls on in `timeZone`, with the instants it begins and ends ([start, end)).
    public static func daySpan(of time: UTCInstant, in timeZone: TimeZone) -> (
        day: CivilDate, start: UTCInstant, end: UTCInstant
    ) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(time.microsecondsSinceEpoch) / 1e6)
        // The day's interval, not start + 1 day: where daylight saving begins at midnight a day starts at 01:00,
        // and adding a day to its start would run into the next day's first hour.
        let interval = calendar.dateInterval(of: .day, for: date)
        let start = interval?.start ?? calendar.startOfDay(for: date)
        let end = interval?.end ?? start.addingTimeInterval(86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let day =
            CivilDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
            ?? CivilDate(daysSinceEpoch: 0)
        return (
            day, UTCInstant(microsecondsSinceEpoch: Int64((start.timeIntervalSince1970 * 1e6).rounded())),
            UTCInstant(microsecondsSinceEpoch: Int64((end.timeIntervalSince1970 * 1e6).rounded()))
        )
    }
}
