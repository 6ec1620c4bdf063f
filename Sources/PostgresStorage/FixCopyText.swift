import NIOCore
import OrbitaModel

/// A batch of fixes as `COPY … FROM STDIN` text: one line a fix, tab-separated, `\N` for a missing value, in the
/// order of `["id"] + PostgresTrackStore.fixColumnList`. Doubles are written as Swift's shortest round-trip digits,
/// which PostgreSQL's `float8in` reads back to the same bits (the stored fix equals the one inserted, as in SQLite).
enum FixCopyText {
    /// The lines of `points`, numbered `ids`.
    static func rows(_ points: [TrackPoint], ids: [Int64], vehicleKeys: [Int64], sources: [String: Int64]) -> ByteBuffer
    {
        var buffer = ByteBufferAllocator().buffer(capacity: points.count * 192)
        for (index, point) in points.enumerated() {
            buffer.writeDecimal(ids[index])
            buffer.writeTab()
            buffer.writeDecimal(vehicleKeys[index])
            buffer.writeTab()
            buffer.writeDecimal(point.time.microsecondsSinceEpoch)
            buffer.writeTab()
            buffer.writeDouble(point.coordinate.latitude)
            buffer.writeTab()
            buffer.writeDouble(point.coordinate.longitude)
            buffer.writeTab()
            buffer.writeDouble(point.altitudeMSL)
            buffer.writeTab()
            buffer.writeDouble(point.speedMetersPerSecond)
            buffer.writeTab()
            buffer.writeDouble(point.courseDegrees)
            buffer.writeTab()
            buffer.writeDecimal(Int64(point.mode.rawValue))
            buffer.writeTab()
            buffer.writeDecimal(Int64(point.quality.rawValue))
            buffer.writeTab()
            buffer.writeDouble(point.hdop)
            buffer.writeTab()
            buffer.writeDecimal(point.satellitesUsed.map { Int64(clamping: $0) })
            for constellation in PostgresTrackStore.viewColumns {
                buffer.writeTab()
                buffer.writeDecimal(Int64(clamping: point.satellitesInView[constellation]))
            }
            buffer.writeTab()
            buffer.writeDecimal(Int64(point.datum.storageCode))
            buffer.writeTab()
            buffer.writeDecimal(Int64(Int32(truncatingIfNeeded: point.flags.rawValue)))
            buffer.writeTab()
            buffer.writeDecimal(sources[point.source] ?? 0)
            buffer.writeTab()
            buffer.writeDouble(point.segmentMeters)
            buffer.writeStaticString("\n")
        }
        return buffer
    }
}

extension ByteBuffer {
    fileprivate mutating func writeTab() { writeInteger(UInt8(ascii: "\t")) }

    /// A decimal integer (`\N` for nil).
    fileprivate mutating func writeDecimal(_ value: Int64?) {
        guard let value else {
            writeStaticString("\\N")
            return
        }
        var magnitude = value.magnitude
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes: 20 digits at most
        let count = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var end = scratch.count
            repeat {
                end -= 1
                scratch[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            return scratch.count - end
        }
        _ = withUnsafeBytes(of: &digits) { writeBytes(UnsafeRawBufferPointer(rebasing: $0[($0.count - count)...])) }
    }

    /// A double as its shortest round-trip digits (`\N` for nil; callers never pass a non-finite value: the
    /// schema's CHECKs refuse them, as they would in any other write).
    fileprivate mutating func writeDouble(_ value: Double?) {
        guard let value else {
            writeStaticString("\\N")
            return
        }
        writeString(value.description)
    }
}
