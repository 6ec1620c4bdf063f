public import Foundation
public import OrbitaModel

/// Distance per calendar day in a time zone: what the trips drove, credited to the day of the fix that drove it (a
/// trip across midnight counts on both days). Days are found by the zone's rules (daylight saving included), one
/// calendar computation per day boundary met, not per fix.
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

    /// Credits `meters` driven at `time` to its day.
    public mutating func add(_ meters: Double, at time: UTCInstant) {
        guard meters != 0 else { return }
        let micros = time.microsecondsSinceEpoch
        if let current, micros >= current.start, micros < current.end {
            metersByDay[current.day, default: 0] += meters
            return
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(micros) / 1e6)
        let start = calendar.startOfDay(for: date)
        let end = calendar.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        guard let day = CivilDate(year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1) else { return }
        current = (
            day, Int64((start.timeIntervalSince1970 * 1e6).rounded()),
            Int64((end.timeIntervalSince1970 * 1e6).rounded())
        )
        metersByDay[day, default: 0] += meters
    }
}
