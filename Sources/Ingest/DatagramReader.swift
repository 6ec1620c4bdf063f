public import NMEA
public import OrbitaModel

/// Turns one datagram into fixes: screens it (size, binary content), decodes its NMEA lines with the identity forms
/// the decoder knows, and requires every fix to name its device. Pure, so the event loop can call it (no I/O).
public enum DatagramReader {
    /// The largest datagram accepted: an Ethernet MTU. Trackers send one cycle of sentences (≈ 300–900 bytes).
    public static let maximumDatagram = 1_500

    /// What a datagram gave.
    public struct Reading: Sendable {
        /// The fixes, each with its device.
        public var fixes: [Fix]
        /// Why the datagram, or some of its fixes, were dropped (nil: nothing dropped).
        public var drop: IngestDrop?
        /// Fixes dropped for `drop` (1 for a whole datagram dropped before decoding).
        public var dropped: Int
        /// Lines the decoder rejected (bad checksum, malformed), counted apart: the rest of the datagram is used.
        public var rejectedLines: Int
    }

    /// Reads one datagram; `decoder` (reset here) saves allocating one per datagram.
    public static func read(_ bytes: UnsafeRawBufferPointer, using decoder: NMEADecoder? = nil) -> Reading {
        guard bytes.count <= maximumDatagram else {
            return Reading(fixes: [], drop: .oversized, dropped: 1, rejectedLines: 0)
        }
        if isBinary(bytes) { return Reading(fixes: [], drop: .binary, dropped: 1, rejectedLines: 0) }
        let decoder = decoder ?? NMEADecoder(options: .lenient)
        decoder.reset()
        var fixes: [Fix] = []
        decoder.decode(bytes) { fixes.append($0) }
        decoder.finish(complete: true) { fixes.append($0) }
        let statistics = decoder.statistics
        let rejected = statistics.rejects.values.reduce(0, +)
        guard statistics.sentences > 0 else {
            return Reading(fixes: [], drop: .noSentence, dropped: 1, rejectedLines: rejected)
        }
        let anonymous = fixes.count { $0.device == nil }
        if anonymous > 0 {
            fixes.removeAll { $0.device == nil }
            return Reading(fixes: fixes, drop: .noIdentity, dropped: anonymous, rejectedLines: rejected)
        }
        return Reading(fixes: fixes, drop: nil, dropped: 0, rejectedLines: rejected)
    }

    /// Whether the bytes hold anything but printable ASCII, CR, LF and tab. Eight bytes at a time: a word with no
    /// byte below 0x20 and none at or above 0x7F is clean; only words that may hold one are looked at bytewise.
    @inline(__always)
    public static func isBinary(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var offset = 0
        let low: UInt64 = 0x2020_2020_2020_2020
        let high: UInt64 = 0x8080_8080_8080_8080
        let one: UInt64 = 0x0101_0101_0101_0101
        while offset + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            // Bytes below 0x20 set their high bit in (word − 0x20…) & ~word; bytes ≥ 0x7F set it in word + 0x01…
            // (0x7F) or in the word itself (≥ 0x80).
            let below = (word &- low) & ~word & high
            let above = (word | (word &+ one)) & high
            if below | above != 0 {
                for index in offset..<offset + 8 where isBinaryByte(bytes[index]) { return true }
            }
            offset += 8
        }
        for index in offset..<count where isBinaryByte(bytes[index]) { return true }
        return false
    }

    @inline(__always)
    private static func isBinaryByte(_ byte: UInt8) -> Bool {
        byte >= 0x7F || (byte < 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09)
    }
}
