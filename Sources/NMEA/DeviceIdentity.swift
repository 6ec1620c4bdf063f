import OrbitaModel

/// Device identities as trackers put them in front of or between NMEA sentences (the forms Traccar's `t55`
/// protocol accepts): `ID$GPRMC…`, `ID,$GPRMC…`, `A/ID/$GPRMC…`, `$IMEI=ID`, `IMEI ID`, a bare ID line, and
/// the sentences `$PGID,ID`, `$PCPTI,ID,…`, `$DEVID,ID`, `$PSIWMDID,ID` (decoded as `Sentence.identity`).
public enum DeviceIdentity {
    /// The longest identity accepted, in bytes (`VehicleIdentifier`'s rule).
    public static let maximumLength = VehicleIdentifier.maximumLength

    /// The identity on a line that holds no sentence (`IMEI=ID`, `IMEI ID`, a bare ID), or nil; identity
    /// sentences such as `$PGID,ID` are decoded as `Sentence.identity`.
    public static func identity(ofLine bytes: UnsafeBufferPointer<UInt8>) -> String? { line(bytes) }

    @inline(__always) static func isIDByte(_ byte: UInt8) -> Bool { VehicleIdentifier.isAllowed(byte) }

    /// The identity in text that precedes a `$` on the same line, or nil when the text is not one.
    static func prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var slice = bytes[...]
        if slice.last == UInt8(ascii: ",") { slice = slice.dropLast() }
        if slice.last == UInt8(ascii: "/") {
            slice = slice.dropLast()
            if let slash = slice.lastIndex(of: UInt8(ascii: "/")) { slice = slice[(slash + 1)...] }
        }
        return validID(slice, minimumLength: 3)
    }

    /// The identity on a line that holds no sentence: `IMEI=ID`, `IMEI ID` or a bare ID (6–32 letters and digits,
    /// at least one digit), or nil.
    static func line(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var slice = bytes[...]
        if slice.first == UInt8(ascii: "$") { slice = slice.dropFirst() }
        if slice.starts(with: "IMEI=".utf8) || slice.starts(with: "IMEI ".utf8) {
            return validID(slice.dropFirst(5), minimumLength: 3)
        }
        guard bytes.first != UInt8(ascii: "$"), slice.contains(where: { ($0 &- UInt8(ascii: "0")) < 10 }) else {
            return nil
        }
        return validID(slice, minimumLength: 6)
    }

    private static func validID(_ slice: Slice<UnsafeBufferPointer<UInt8>>, minimumLength: Int) -> String? {
        guard slice.count >= minimumLength, slice.count <= maximumLength, slice.allSatisfy(isIDByte) else {
            return nil
        }
        return String(decoding: slice, as: UTF8.self)
    }
}
