import Foundation
import NMEA
import OrbitaModel
import OrbitaTesting
import Testing

/// The long real drives in ../shared/corpus/nmea-real: decoded without a crash, with as many positioned fixes as a
/// simple independent reading of the file finds, and tracks a vehicle could have driven.
@Suite("real drives", .enabled(if: Corpus.isPresent, "../shared/corpus absent"))
struct RealDriveTests {
    static let files =
        (Corpus.files(in: "nmea-real", withExtension: "txt")
        + Corpus.files(in: "nmea-real", withExtension: "nmea")).filter { !$0.hasPrefix("LICENSE") }

    /// Counts cycles with a valid position the plain way: checksum-valid RMC/GGA/GLL/GNS lines, grouped by time.
    static func independentCount(_ bytes: [UInt8]) -> Int {
        var cycles = 0
        var lastTime: Double? = nil
        var cycleValid = false
        for rawLine in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let dollar = rawLine.firstIndex(of: UInt8(ascii: "$")),
                let star = rawLine.lastIndex(of: UInt8(ascii: "*")), star > dollar,
                rawLine.distance(from: star, to: rawLine.endIndex) >= 3
            else { continue }
            let body = rawLine[(dollar + 1)..<star]
            let sum = body.reduce(UInt8(0), ^)
            guard let given = UInt8(String(decoding: rawLine[(star + 1)...(star + 2)], as: UTF8.self), radix: 16),
                given == sum
            else { continue }
            let fields = String(decoding: body, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
                .map(String.init)
            guard let address = fields.first, address.count == 5 else { continue }
            let type = address.suffix(3)
            let timeField: String
            let valid: Bool
            switch type {
            case "RMC":
                timeField = fields[1]
                valid = fields[2] == "A" && (fields.count < 13 || fields[12] != "N") && !fields[3].isEmpty
            case "GGA":
                timeField = fields[1]
                valid = (Int(fields[6]) ?? 0) > 0 && !fields[2].isEmpty
            case "GLL":
                timeField = fields.count > 5 ? fields[5] : ""
                valid =
                    fields.count > 6 && fields[6] == "A" && (fields.count < 8 || fields[7] != "N") && !fields[1].isEmpty
            case "GNS":
                timeField = fields[1]
                valid = fields[6].contains(where: { $0 != "N" }) && !fields[2].isEmpty
            case "GST", "GBS":
                timeField = fields[1]
                valid = false
            default:
                continue
            }
            guard let time = Double(timeField) else { continue }
            if let lastTime, abs(time - lastTime) < 0.01 {
                cycleValid = cycleValid || valid
            } else {
                if cycleValid { cycles += 1 }
                cycleValid = valid
            }
            lastTime = time
        }
        return cycles + (cycleValid ? 1 : 0)
    }

    @Test("decodes every real drive", arguments: files)
    func decodesARealDrive(_ name: String) throws {
        let bytes = Corpus.bytes(Corpus.url("nmea-real/\(name)"))
        let decoder = NMEADecoder()
        var fixes: [Fix] = []
        decoder.decode(bytes) { fixes.append($0) }
        decoder.finish { fixes.append($0) }
        let positioned = fixes.filter(\.hasPosition)
        let statistics = decoder.statistics
        print("nmea-real \(name): \(statistics.summary) positioned=\(positioned.count)")
        #expect(positioned.count == Self.independentCount(bytes))
        #expect(positioned.count >= 34)
        #expect(fixes.count - positioned.count < fixes.count / 50 + 100, "too many cycles without a position")
        var fastest = 0.0
        for (previous, next) in zip(positioned, positioned.dropFirst()) {
            guard let t0 = previous.time?.instant, let t1 = next.time?.instant, t1 > t0 else { continue }
            let seconds = Double(t1.microsecondsSinceEpoch - t0.microsecondsSinceEpoch) / 1e6
            fastest = max(fastest, Self.meters(previous, next) / seconds)
        }
        #expect(fastest < 60, "implied speed \(fastest) m/s")  // a road vehicle, no jumps
        for fix in positioned { #expect((fix.speedMetersPerSecond ?? 0) < 60) }
    }

    /// Great-circle distance on a sphere: a plausibility check only (Orbita's geodesy uses PROJ).
    static func meters(_ a: Fix, _ b: Fix) -> Double {
        let radians = Double.pi / 180
        let dLat = (b.latitude! - a.latitude!) * radians
        let dLon = (b.longitude! - a.longitude!) * radians
        let h = pow(sin(dLat / 2), 2) + cos(a.latitude! * radians) * cos(b.latitude! * radians) * pow(sin(dLon / 2), 2)
        return 2 * 6_371_008.8 * asin(min(1, sqrt(h)))
    }
}
