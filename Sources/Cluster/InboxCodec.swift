public import OrbitaModel

/// A received fix as bytes, for the inbox through which a node hands a fix to the node that owns its vehicle: every
/// field of `Fix`, little-endian, a presence mask for the optional ones. Version 1; a decoder refuses other versions
/// and short or trailing bytes.
public enum InboxCodec {
    /// Why bytes could not be read back.
    public struct Malformed: Error, CustomStringConvertible, Equatable {
        /// What was wrong.
        public let description: String
    }

    static let version: UInt8 = 1

    /// The fix's bytes.
    public static func encode(_ fix: Fix) -> [UInt8] {
        var out: [UInt8] = [version]
        out.reserveCapacity(160)
        let doubles = optionalDoubles(fix)
        var mask: UInt32 = 0
        for (bit, value) in doubles.enumerated() where value != nil { mask |= 1 << UInt32(bit) }
        if fix.device != nil { mask |= 1 << 20 }
        if fix.satellitesUsed != nil { mask |= 1 << 21 }
        if fix.navigationalStatus != nil { mask |= 1 << 22 }
        if fix.errors != nil { mask |= 1 << 23 }
        append(mask, to: &out)
        if let device = fix.device {
            let bytes = Array(device.utf8.prefix(Int(UInt16.max)))
            append(UInt16(bytes.count), to: &out)
            out += bytes
        }
        switch fix.time {
        case nil: out.append(0)
        case .instant(let instant):
            out.append(1)
            append(UInt64(bitPattern: instant.microsecondsSinceEpoch), to: &out)
        case .timeOfDay(let time):
            out.append(2)
            append(UInt64(bitPattern: time.microseconds), to: &out)
        }
        out.append(UInt8(clamping: fix.mode.rawValue))
        out.append(UInt8(clamping: fix.quality.rawValue))
        out.append(UInt8(clamping: fix.datum.storageCode))
        for value in doubles { if let value { append(value.bitPattern, to: &out) } }
        if let used = fix.satellitesUsed { append(UInt64(bitPattern: Int64(used)), to: &out) }
        for constellation in Constellation.allCases {
            append(UInt16(clamping: fix.satellitesUsedByConstellation[constellation]), to: &out)
            append(UInt16(clamping: fix.satellitesInView[constellation]), to: &out)
        }
        if let status = fix.navigationalStatus { out.append(status) }
        if let errors = fix.errors {
            let values = errorValues(errors)
            var errorMask: UInt8 = 0
            for (bit, value) in values.enumerated() where value != nil { errorMask |= 1 << UInt8(bit) }
            out.append(errorMask)
            for value in values { if let value { append(value.bitPattern, to: &out) } }
        }
        return out
    }

    /// The fix `encode` wrote.
    public static func decode(_ bytes: some Collection<UInt8>) throws(Malformed) -> Fix {
        var reader = Reader(bytes: Array(bytes))
        guard try reader.byte() == version else { throw Malformed(description: "unknown inbox record version") }
        let mask = UInt32(truncatingIfNeeded: try reader.integer(4))
        var fix = Fix()
        if mask & (1 << 20) != 0 {
            let count = Int(try reader.integer(2))
            guard let device = String(validating: try reader.bytes(count), as: UTF8.self) else {
                throw Malformed(description: "a device name that is not UTF-8")
            }
            fix.device = device
        }
        switch try reader.byte() {
        case 0: fix.time = nil
        case 1: fix.time = .instant(UTCInstant(microsecondsSinceEpoch: Int64(bitPattern: try reader.integer(8))))
        case 2: fix.time = .timeOfDay(TimeOfDay(microseconds: Int64(bitPattern: try reader.integer(8))))
        default: throw Malformed(description: "an unknown time form")
        }
        guard let mode = FixMode(rawValue: Int(try reader.byte())),
            let quality = FixQuality(rawValue: Int(try reader.byte()))
        else { throw Malformed(description: "an unknown fix mode or quality") }
        fix.mode = mode
        fix.quality = quality
        fix.datum = Datum(storageCode: Int(try reader.byte()))
        var doubles: [Double?] = []
        for bit in 0..<optionalDoubleCount {
            doubles.append(mask & (1 << UInt32(bit)) != 0 ? Double(bitPattern: try reader.integer(8)) : nil)
        }
        setOptionalDoubles(doubles, on: &fix)
        if mask & (1 << 21) != 0 { fix.satellitesUsed = Int(Int64(bitPattern: try reader.integer(8))) }
        for constellation in Constellation.allCases {
            fix.satellitesUsedByConstellation[constellation] = Int(try reader.integer(2))
            fix.satellitesInView[constellation] = Int(try reader.integer(2))
        }
        if mask & (1 << 22) != 0 { fix.navigationalStatus = try reader.byte() }
        if mask & (1 << 23) != 0 {
            let errorMask = try reader.byte()
            var values: [Double?] = []
            for bit in 0..<7 {
                values.append(errorMask & (1 << UInt8(bit)) != 0 ? Double(bitPattern: try reader.integer(8)) : nil)
            }
            fix.errors = ErrorEstimates(
                rangeRMS: values[0], semiMajorMeters: values[1], semiMinorMeters: values[2],
                orientationDegrees: values[3], latitudeMeters: values[4], longitudeMeters: values[5],
                altitudeMeters: values[6])
        }
        guard reader.isAtEnd else { throw Malformed(description: "bytes after the record") }
        return fix
    }

    private static let optionalDoubleCount = 11

    private static func optionalDoubles(_ fix: Fix) -> [Double?] {
        [
            fix.latitude, fix.longitude, fix.altitudeMSL, fix.geoidSeparation, fix.speedMetersPerSecond,
            fix.courseDegrees, fix.magneticVariationDegrees, fix.hdop, fix.pdop, fix.vdop, fix.differentialAgeSeconds,
        ]
    }

    private static func setOptionalDoubles(_ values: [Double?], on fix: inout Fix) {
        fix.latitude = values[0]
        fix.longitude = values[1]
        fix.altitudeMSL = values[2]
        fix.geoidSeparation = values[3]
        fix.speedMetersPerSecond = values[4]
        fix.courseDegrees = values[5]
        fix.magneticVariationDegrees = values[6]
        fix.hdop = values[7]
        fix.pdop = values[8]
        fix.vdop = values[9]
        fix.differentialAgeSeconds = values[10]
    }

    private static func errorValues(_ errors: ErrorEstimates) -> [Double?] {
        [
            errors.rangeRMS, errors.semiMajorMeters, errors.semiMinorMeters, errors.orientationDegrees,
            errors.latitudeMeters, errors.longitudeMeters, errors.altitudeMeters,
        ]
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func byte() throws(Malformed) -> UInt8 {
            let slice = try bytes(1)
            return slice[slice.startIndex]
        }

        mutating func bytes(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count - offset >= count else { throw Malformed(description: "a short record") }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        mutating func integer(_ width: Int) throws(Malformed) -> UInt64 {
            var value: UInt64 = 0
            for (shift, byte) in try bytes(width).enumerated() { value |= UInt64(byte) << UInt64(8 * shift) }
            return value
        }
    }
}
