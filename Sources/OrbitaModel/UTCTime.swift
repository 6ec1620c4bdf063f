import Glibc

/// A calendar date in UTC (proleptic Gregorian).
public struct CivilDate: Sendable, Hashable, Comparable {
    /// The year, e.g. 2024.
    public var year: Int
    /// The month, 1–12.
    public var month: Int
    /// The day of the month, 1–31.
    public var day: Int

    /// Creates a date if the components name a real day of the years 0–9999, otherwise nil.
    public init?(year: Int, month: Int, day: Int) {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CivilDate.daysIn(month: month, year: year)
        else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    private init(unchecked year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The number of days in a month of a year.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `YYYY-MM-DD`.
    public var iso8601: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's `days_from_civil`.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date a number of days after 1970-01-01 (Hinnant's `civil_from_days`).
    public init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(unchecked: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// The following day.
    public var next: CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + 1) }

    /// The day before.
    public var previous: CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch - 1) }

    /// Orders by time or value.
    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A time of day in UTC with microsecond resolution.
public struct TimeOfDay: Sendable, Hashable, Comparable {
    /// Microseconds since midnight; below 86,401 s (a leap second is allowed).
    public var microseconds: Int64

    /// Microseconds in a day without a leap second.
    public static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Creates a time of day from microseconds since midnight.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// Creates a time of day from its parts, or nil when a part is out of range.
    public init?(hour: Int, minute: Int, second: Int, microsecond: Int = 0) {
        guard (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second),
            (0..<1_000_000).contains(microsecond)
        else { return nil }
        microseconds = (Int64(hour * 3600 + minute * 60 + second)) * 1_000_000 + Int64(microsecond)
    }

    /// Orders by time or value.
    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.microseconds < rhs.microseconds }

    /// `HH:MM:SS.mmm`, rounded down to the millisecond.
    public var formatted: String {
        let ms = microseconds / 1000
        let seconds = ms / 1000
        return pad(Int(seconds / 3600), 2) + ":" + pad(Int(seconds / 60 % 60), 2) + ":" + pad(Int(seconds % 60), 2)
            + "." + pad(Int(ms % 1000), 3)
    }
}

/// An instant in UTC, as microseconds since 1970-01-01T00:00:00Z (leap seconds not counted).
public struct UTCInstant: Sendable, Hashable, Comparable {
    /// Microseconds since the Unix epoch.
    public var microsecondsSinceEpoch: Int64

    /// Creates an instant from microseconds since the Unix epoch.
    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

    /// The system's real-time clock, now.
    public static var now: UTCInstant {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UTCInstant(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    /// Combines a date and a time of day.
    public init(date: CivilDate, time: TimeOfDay) {
        microsecondsSinceEpoch = Int64(date.daysSinceEpoch) * TimeOfDay.microsecondsPerDay + time.microseconds
    }

    /// Seconds since the Unix epoch.
    public var secondsSinceEpoch: Double { Double(microsecondsSinceEpoch) / 1e6 }

    /// The UTC date of this instant.
    public var date: CivilDate {
        CivilDate(daysSinceEpoch: Int(floorDiv(microsecondsSinceEpoch, TimeOfDay.microsecondsPerDay)))
    }

    /// The UTC time of day of this instant.
    public var timeOfDay: TimeOfDay {
        let day = floorDiv(microsecondsSinceEpoch, TimeOfDay.microsecondsPerDay)
        return TimeOfDay(microseconds: microsecondsSinceEpoch - day * TimeOfDay.microsecondsPerDay)
    }

    /// ISO 8601 with milliseconds and `Z`, as gpsd prints it: `2020-10-07T02:20:21.000Z`.
    public var iso8601: String {
        let d = date
        return pad(d.year, 4) + "-" + pad(d.month, 2) + "-" + pad(d.day, 2) + "T" + timeOfDay.formatted + "Z"
    }

    /// Orders by time or value.
    public static func < (lhs: UTCInstant, rhs: UTCInstant) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Seconds from `earlier` to this instant (negative when `earlier` is later).
    @inline(__always) public func seconds(since earlier: UTCInstant) -> Double {
        Double(microsecondsSinceEpoch - earlier.microsecondsSinceEpoch) / 1e6
    }

    /// The instant `seconds` later (earlier when negative), to the microsecond.
    public func adding(seconds: Double) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64((seconds * 1e6).rounded()))
    }
}

/// When a fix was taken: a full instant when the date is known, otherwise only the time of day.
public enum FixTime: Sendable, Hashable {
    /// Date and time are known.
    case instant(UTCInstant)
    /// Only the UTC time of day is known (e.g. GGA with no RMC or ZDA yet).
    case timeOfDay(TimeOfDay)

    /// The time of day, known in both cases.
    public var timeOfDay: TimeOfDay {
        switch self {
        case .instant(let instant): instant.timeOfDay
        case .timeOfDay(let time): time
        }
    }

    /// The instant, when the date is known.
    public var instant: UTCInstant? {
        if case .instant(let instant) = self { return instant }
        return nil
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

extension Duration {
    /// The duration in seconds, as a `Double` (for rates in logs, progress and benchmarks).
    public var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
