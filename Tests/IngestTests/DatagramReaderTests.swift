import Foundation
import Ingest
import NMEA
import OrbitaModel
import Testing

/// Screening and decoding of single datagrams, and the per-source limiter.
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

    @Test func oneSourceOverItsRateDoesNotSlowAnother() {
        var limiter = SourceLimiter(rate: 10, burst: 20)
        var noisy = 0
        var quiet = 0
        // One second: the noisy source sends 1,000 messages, the quiet one 5.
        for step in 0..<1_000 {
            let now = Double(step) / 1_000
            if limiter.allow("udp:10.0.0.1:4000", now: now) { noisy += 1 }
            if step % 200 == 0, limiter.allow("udp:10.0.0.2:4000", now: now) { quiet += 1 }
        }
        #expect(noisy >= 20 && noisy <= 31)
        #expect(quiet == 5)
    }

    @Test func theLimiterForgetsOldSourcesBeyondItsCapacity() {
        var limiter = SourceLimiter(rate: 1, burst: 1, capacity: 100)
        for index in 0..<10_000 { _ = limiter.allow("udp:spoofed:\(index)", now: Double(index)) }
        // A new source still gets its burst (burst 1: one message, then none at the same instant).
        let first = limiter.allow("udp:fresh:1", now: 10_001)
        let second = limiter.allow("udp:fresh:1", now: 10_001)
        #expect(first)
        #expect(!second)
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
