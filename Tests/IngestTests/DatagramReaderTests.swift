import Foundation
import Ingest
import NMEA
import OrbitaModel
import Testing

/// Screening and decoding of single datagrams, and the per-device limiter.
struct DatagramReaderTests {
    static func sentence(_ body: String) -> String {
        let checksum = body.utf8.reduce(UInt8(0)) { $0 ^ $1 }
        return "$\(body)*\(String(checksum, radix: 16, uppercase: true).leftPadded(2))\r\n"
    }

    static let rmc = sentence("GNRMC,083559.00,A,5545.1234,N,03737.5678,E,10.5,45.0,261126,,,A")
    static let gga = sentence("GNGGA,083559.00,5545.1234,N,03737.5678,E,1,12,0.8,150.0,M,14.0,M,,")

    static func read(_ text: String) -> DatagramReader.Reading {
        Array(text.utf8).withUnsafeBytes { DatagramReader.read($0) }
    }

    static func read(_ bytes: [UInt8]) -> DatagramReader.Reading { bytes.withUnsafeBytes { DatagramReader.read($0) } }

    @Test func aCycleWithItsIdentityGivesOneFix() {
        let reading = Self.read(Self.sentence("PGID,BUS-17") + Self.rmc + Self.gga)
        #expect(reading.drop == nil)
        #expect(reading.fixes.count == 1)
        #expect(reading.fixes.first?.device == "BUS-17")
        #expect(reading.fixes.first?.hdop == 0.8)
        #expect(Self.read("866123456789012," + Self.rmc).fixes.first?.device == "866123456789012")
    }

    @Test func theWordwiseBinaryCheckAgreesWithTheBytewiseRule() {
        func bytewise(_ bytes: [UInt8]) -> Bool {
            bytes.contains { $0 >= 0x7F || ($0 < 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09) }
        }
        let clean = Array("$GPGGA,120000.00,5545.0000,N,03737.0000,E,1,08,0.9,150.0,M,14.0,M,,*6A\r\n".utf8)
        // Every byte value at every position of a clean sentence (word-aligned and not, and in the tail).
        for position in 0..<clean.count {
            for value in 0...255 {
                var bytes = clean
                bytes[position] = UInt8(value)
                let wordwise = bytes.withUnsafeBytes { DatagramReader.isBinary($0) }
                #expect(wordwise == bytewise(bytes), "byte \(value) at \(position)")
                if wordwise != bytewise(bytes) { return }
            }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0x05...0x85, using: &rng)
            }
            #expect(bytes.withUnsafeBytes { DatagramReader.isBinary($0) } == bytewise(bytes))
        }
    }

    @Test func eachBadDatagramHasItsReason() {
        #expect(Self.read(Self.rmc + Self.gga).drop == .noIdentity)
        #expect(Self.read(Self.rmc + Self.gga).fixes.isEmpty)
        #expect(Self.read([UInt8](repeating: 0x24, count: 1_501)).drop == .oversized)
        #expect(Self.read([0x24, 0x47, 0x00, 0xFF, 0x0A]).drop == .binary)
        #expect(Self.read("hello world\r\n").drop == .noSentence)
        let badChecksum = Self.rmc.replacingOccurrences(of: "*", with: "*0")
        #expect(Self.read(badChecksum).drop == .noSentence)
        // With a valid identity sentence the datagram is not dropped as a whole: the bad line is counted apart.
        let withIdentity = Self.read(Self.sentence("PGID,BUS-17") + badChecksum)
        #expect(withIdentity.fixes.isEmpty)
        #expect(withIdentity.rejectedLines == 1)
        // Truncated: the cycle's RMC cut mid-field gives no fix; the identity alone is a valid sentence.
        let truncated = Self.sentence("PGID,BUS-17") + String(Self.rmc.prefix(30))
        #expect(Self.read(truncated).fixes.isEmpty)
    }

    @Test func oneKeyOverItsRateDoesNotSlowAnother() {
        var limiter = RateLimiter<String>(rate: 10, burst: 20)
        var noisy = 0
        var quiet = 0
        // One second: the noisy device sends 1,000 fixes, the quiet one 5.
        for step in 0..<1_000 {
            let now = Double(step) / 1_000
            if limiter.allow("BUS-1", now: now) { noisy += 1 }
            if step % 200 == 0, limiter.allow("BUS-2", now: now) { quiet += 1 }
        }
        #expect(noisy >= 20 && noisy <= 31)
        #expect(quiet == 5)
    }

    @Test func theLimiterForgetsOldKeysBeyondItsCapacity() {
        var limiter = RateLimiter<String>(rate: 1, burst: 1, capacity: 100)
        for index in 0..<10_000 { _ = limiter.allow("forged-\(index)", now: Double(index)) }
        // A new key still gets its burst (burst 1: one message, then none at the same instant).
        let first = limiter.allow("fresh", now: 10_001)
        let second = limiter.allow("fresh", now: 10_001)
        #expect(first)
        #expect(!second)
    }

    /// UDP: fixes of a device over its rate are removed (counted by the caller); TCP asks how many may go and
    /// takes the tokens only when the queue took them.
    @Test func theDeviceLimiterScreensDatagramsAndPacesConnections() {
        let devices = DeviceRateLimiter(rate: 100, burst: 1_000)
        var flood = (0..<1_500).map { _ in Fix(device: "BROKEN1") } + [Fix(device: "GOOD1")]
        #expect(devices.screen(&flood, from: "udp:a", now: 0) == 500)
        #expect(flood.count == 1_001 && flood.last?.device == "GOOD1")
        // The same identity from another source has a bucket of its own (a forger cannot starve the tracker).
        var genuine = [Fix(device: "BROKEN1")]
        #expect(devices.screen(&genuine, from: "udp:b", now: 0) == 0)
        // One second later the broken device has 100 tokens again.
        let next = (0..<150).map { _ in Fix(device: "BROKEN1") }
        let (count, wait) = devices.admissible(next, from: "udp:a", now: 1)
        #expect(count == 100)
        #expect(abs(wait - 0.01) < 1e-9)
        // Asking takes nothing; consuming does.
        #expect(devices.admissible(next, from: "udp:a", now: 1).count == 100)
        devices.consume(next.prefix(100), from: "udp:a", now: 1)
        #expect(devices.admissible(next, from: "udp:a", now: 1).count == 0)
        // Without a limit everything passes.
        var all = next
        #expect(DeviceRateLimiter(rate: 0, burst: 1).screen(&all, from: "udp:a", now: 0) == 0)
    }

    @Test func aHostPortIsParsed() {
        #expect(HostPort(parsing: "127.0.0.1:5005") == HostPort(host: "127.0.0.1", port: 5005))
        #expect(HostPort(parsing: "[::1]:0") == HostPort(host: "::1", port: 0))
        #expect(HostPort(parsing: ":9000") == HostPort(host: "127.0.0.1", port: 9000))
        #expect(HostPort(parsing: "nohost") == nil)
        #expect(HostPort(parsing: "h:70000") == nil)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
