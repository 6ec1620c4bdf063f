import Foundation
import NMEA
import OrbitaModel
import OrbitaTesting
import Testing

/// One row of ../shared/corpus/vectors.tsv: a sentence, whether a strict reader accepts it, expected values.
struct Vector: CustomTestStringConvertible, Sendable {
    let line: Int
    let bytes: [UInt8]
    let valid: Bool
    let expected: [String: String]
    let source: String

    var testDescription: String { "vectors.tsv:\(line) \(String(decoding: bytes, as: UTF8.self).prefix(40))" }

    static func load() -> [Vector] {
        guard Corpus.isPresent,
            let text = try? String(contentsOf: Corpus.url("vectors.tsv"), encoding: .utf8)
        else { return [] }
        var rows: [Vector] = []
        for (index, row) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where index > 0 && !row.isEmpty {
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var expected: [String: String] = [:]
            for pair in columns[2].split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                expected[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            rows.append(
                Vector(
                    line: index + 1, bytes: unescape(columns[0]), valid: columns[1] == "yes", expected: expected,
                    source: columns[3]))
        }
        return rows
    }

    /// Undoes the TSV escapes `\r \n \t \\ \xHH`.
    static func unescape(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "\\"), let next = bytes.popFirst() else {
                out.append(byte)
                continue
            }
            switch next {
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "x"):
                let hex = String(decoding: bytes.prefix(2), as: UTF8.self)
                out.append(UInt8(hex, radix: 16)!)
                bytes = bytes.dropFirst(2)
            default: out.append(next)
            }
        }
        return out
    }
}

@Suite("NMEA test vectors (pynmea2, AeroRust nmea, minmea)", .enabled(if: Corpus.isPresent, "../shared/corpus absent"))
struct VectorTests {
    static let vectors = Vector.load()

    @Test func theFileHasEveryRow() {
        #expect(Self.vectors.count == 117)
        #expect(Self.vectors.filter(\.valid).count == 91)
    }

    @Test("strict framing accepts exactly the rows marked valid", arguments: vectors)
    func strictAcceptance(_ vector: Vector) throws {
        let result = Result { () throws(SentenceError) in
            try ParsedSentence.parse(vector.bytes, options: .strictFraming)
        }
        switch result {
        case .success(let parsed):
            #expect(vector.valid, "accepted although invalid: \(vector.expected["reason"] ?? "")")
            try checkValues(parsed, vector)
        case .failure(let error):
            #expect(!vector.valid, "rejected with \(error)")
        }
    }

    /// Orbita's default framing is tolerant as the vectors define it (missing `$` or checksum, `$$`, padding) except
    /// that a field which does not decode rejects the whole sentence: `lenient=partial` rows are rejected.
    @Test("lenient framing accepts the rows marked lenient=yes", arguments: vectors.filter { !$0.valid })
    func lenientAcceptance(_ vector: Vector) throws {
        let result = Result { () throws(SentenceError) in try ParsedSentence.parse(vector.bytes, options: .lenient) }
        let lenient = vector.expected["lenient"]
        switch result {
        case .success(let parsed):
            #expect(lenient == "yes", "accepted: \(vector.expected["reason"] ?? "")")
            try checkValues(parsed, vector)
        case .failure(let error):
            #expect(lenient != "yes", "rejected with \(error)")
        }
    }

    @Test func rejectReasonsMatchTheVectors() throws {
        func reason(_ text: String) -> SentenceError? {
            do throws(SentenceError) {
                _ = try ParsedSentence.parse(Vector.unescape(text), options: .strictFraming)
                return nil
            } catch { return error }
        }
        #expect(reason("$GPTXT,01,01,02,ANTSTATUS=INIT*26") == .checksumMismatch(expected: 0x26, actual: 0x25))
        #expect(reason("$GPRMC,,V,,,,,,,,,,N*532") == .malformedChecksum)
        #expect(reason("$GPXTE,A,A,0.67,L,N*6g") == .malformedChecksum)
        #expect(reason("$GPVTG,,,,\\xff,,,,,N*30") == .invalidCharacter(byte: 0xFF))
        #expect(reason("GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99*30") == .noSentenceStart)
        #expect(reason("$GPTXT,hello\\r\\n") == .missingChecksum)
        #expect(reason("$,GRMC,,A,,,,,,,290290GLCR*40") == .malformedAddress)
        #expect(
            reason("$GPGGA,161405.680,37.352387,N,121.953086,W,1,10,0.01,-110.342552,M,0.000000,M,,0000,*4E")
                == .badField(sentence: .gga, field: 2))
    }

    // MARK: - Expected values

    /// Keys the vectors carry that Orbita does not decode: proprietary payloads, query details, magnetic heading.
    static let undecodedKeys: Set = [
        "note", "reason", "lenient", "listener", "requested", "alt", "unit", "heading", "height", "alt_ref", "navstat",
    ]

    func checkValues(_ parsed: ParsedSentence, _ vector: Vector) throws {
        let e = vector.expected
        var checked: Set<String> = []
        func check(_ key: String, _ body: (String) throws -> Void) rethrows {
            guard let value = e[key], !value.hasPrefix("INVALID") else { return }
            checked.insert(key)
            try body(value)
        }
        func number(_ key: String, _ actual: Double?, tolerance: Double = 1e-9) {
            check(key) { value in
                #expect(actual != nil, "\(key) missing")
                if let actual { #expect(abs(actual - Double(value)!) <= tolerance, "\(key) \(actual) ≠ \(value)") }
            }
        }
        func integer(_ key: String, _ actual: Int?) {
            check(key) { value in #expect(actual == (value == "(empty)" ? nil : Int(value)!), "\(key)") }
        }
        func letter(_ key: String, _ actual: UInt8?) {
            check(key) { value in
                #expect(actual == (value == "(empty)" ? nil : value.utf8.first), "\(key) \(String(describing: actual))")
            }
        }
        func time(_ actual: TimeOfDay?) {
            check("utc") { value in
                let parts = value.split(separator: ":")
                let seconds = Double(parts[2])!
                let micro = Int64((Double(Int(parts[0])! * 3600 + Int(parts[1])! * 60) + seconds) * 1e6 + 0.5)
                #expect(actual?.microseconds == micro, "utc")
            }
        }
        func date(_ actual: CivilDate?) {
            check("date") { value in
                let p = value.split(separator: "-").map { Int($0)! }
                #expect(actual == CivilDate(year: p[0], month: p[1], day: p[2]), "date")
            }
        }
        let isProprietary = parsed.address.hasPrefix("P")
        check("talker") { #expect(parsed.talker.description == $0) }
        check("type") { value in
            if isProprietary {
                #expect(parsed.address == value)
            } else if value == "query" {
                #expect(parsed.address.hasSuffix("Q") && parsed.sentence == .ignored)
            } else {
                #expect(String(parsed.address.suffix(3)) == value)
            }
        }
        switch parsed.sentence {
        case .rmc(let rmc):
            time(rmc.time)
            letter("status", rmc.status)
            number("lat", rmc.latitude)
            number("lon", rmc.longitude)
            number("sog_kn", rmc.speedKnots)
            number("cog", rmc.courseDegrees)
            date(rmc.date)
            check("magvar") { value in
                let magnitude = Double(value.dropLast())!
                #expect(rmc.magneticVariationDegrees == (value.hasSuffix("W") ? -magnitude : magnitude))
            }
            letter("mode", rmc.modeIndicator)
            letter("navstatus", rmc.navigationalStatus)
        case .gga(let gga):
            time(gga.time)
            number("lat", gga.latitude)
            number("lon", gga.longitude)
            integer("q", gga.qualityIndicator)
            integer("sats", gga.satellitesUsed)
            number("hdop", gga.hdop)
            number("alt_m", gga.altitudeMSL)
            number("geoid_m", gga.geoidSeparation)
        case .gns(let gns):
            time(gns.time)
            number("lat", gns.latitude)
            number("lon", gns.longitude)
            check("modes") { #expect(gns.bestMode == $0.utf8.first) }
            integer("sats", gns.satellitesUsed)
            number("hdop", gns.hdop)
            number("alt_m", gns.altitudeMSL)
            number("geoid_m", gns.geoidSeparation)
            letter("navstatus", gns.navigationalStatus)
        case .gll(let gll):
            number("lat", gll.latitude)
            number("lon", gll.longitude)
            time(gll.time)
            letter("status", gll.status)
            letter("mode", gll.modeIndicator)
        case .vtg(let vtg):
            number("cog", vtg.courseTrueDegrees)
            number("cog_mag", vtg.courseMagneticDegrees)
            number("sog_kn", vtg.speedKnots)
            number("sog_kmh", vtg.speedKilometersPerHour)
            letter("mode", vtg.modeIndicator)
        case .gsa(let gsa):
            letter("opmode", gsa.selectionMode)
            integer("fix", gsa.fixType)
            check("prns") { value in
                let numbers = value.dropFirst().dropLast().split(separator: " ").map { Int($0)! }
                #expect(gsa.satellites.array == numbers)
            }
            number("pdop", gsa.pdop)
            number("hdop", gsa.hdop)
            number("vdop", gsa.vdop)
            integer("sysid", gsa.systemID)
        case .gsv(let gsv):
            integer("msgs", gsv.messageCount)
            integer("msg", gsv.messageNumber)
            integer("inview", gsv.satellitesInView)
            integer("signal_id", gsv.signalID)
            check("sats") { value in
                let blocks = value.dropFirst().dropLast().split(separator: " ").map { block in
                    block.split(separator: "/").map { $0 == "-" ? nil : Double($0) }
                }
                #expect(gsv.satellites.count == blocks.count)
                for (satellite, block) in zip(gsv.satellites, blocks) {
                    #expect(Double(satellite.number) == block[0])
                    #expect(satellite.elevationDegrees.map(Double.init) == block[1])
                    #expect(satellite.azimuthDegrees.map(Double.init) == block[2])
                    #expect(satellite.snr == block[3])
                }
            }
        case .zda(let zda):
            time(zda.time)
            date(zda.date)
            integer("zone_h", zda.zoneHours)
            integer("zone_m", zda.zoneMinutes)
        case .gst(let gst):
            time(gst.time)
        case .gbs(let gbs):
            time(gbs.time)
        case .txt(let txt):
            check("text") { #expect(txt.text == $0) }
        case .dtm, .identity, .ignored, .proprietary:
            break
        }
        if parsed.sentence == .ignored || parsed.sentence == .proprietary {
            return  // passed over on purpose (e.g. $PUBX and $PTNL positions, GRS residuals): only the address counts
        }
        let unchecked = Set(e.keys).subtracting(checked).subtracting(Self.undecodedKeys)
            .filter { !(e[$0] ?? "").hasPrefix("INVALID") }
        #expect(unchecked.isEmpty, "expected values not compared: \(unchecked.sorted())")
    }
}
