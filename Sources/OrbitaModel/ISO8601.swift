/// ISO 8601 date-times as GPX, the API and the command line take them: `2024-06-09T08:00:00Z`, `…T08:00:00.123Z`, `…T11:00:00+03:00`.
public enum ISO8601 {
    /// The UTC instant of a date-time, or nil when it is not one.
    public static func parse(_ text: String) -> UTCInstant? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let date = CivilDate(year: year, month: month, day: day)
        else { return nil }
        var index = 19
        var micro = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                micro += Int(bytes[index] &- UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                guard bytes.count >= index + 6, let hours = number((index + 1)..<(index + 3)),
                    let minutes = number((index + 4)..<(index + 6))
                else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
                index += 6
            default:
                return nil
            }
        }
        guard index == bytes.count, let time = TimeOfDay(hour: hour, minute: minute, second: second, microsecond: micro)
        else { return nil }
        let local = UTCInstant(date: date, time: time)
        return local.adding(seconds: -Double(offsetSeconds))
    }
}

extension UTCInstant: Codable {
    /// Reads an ISO 8601 date-time string.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let instant = ISO8601.parse(text) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not ISO 8601: \(text)"))
        }
        self = instant
    }

    /// Writes `iso8601`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}
