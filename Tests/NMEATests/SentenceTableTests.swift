import Foundation
import NMEA
import OrbitaModel
import Testing

/// `SentenceTable` is the one place that knows the formatters: its columns hold for the decoder, and no other source
/// file keeps a second list.
struct SentenceTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var decoded: [SentenceType] { SentenceType.allCases.filter { $0.row != nil } }

    @Test func everyFormatterWordSpellsItsNameAndNoFormatterIsListedTwice() {
        for type in Self.decoded {
            let word = type.row!.formatter
            let letters = String(
                decoding: [UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)], as: UTF8.self)
            #expect(letters == type.rawValue)
        }
        let names = Self.decoded.map(\.rawValue) + SentenceTable.ignored
        #expect(Set(names).count == names.count)
        #expect(SentenceType.identity.row == nil)
    }

    /// The minimum-fields column is what the decoder enforces: one field fewer is `too_few_fields` through the
    /// stream decoder, the minimum itself is not.
    @Test(arguments: SentenceTableTests.decoded)
    func theMinimumFieldsColumnIsEnforced(type: SentenceType) {
        let minimum = type.row!.minimumFields
        let short = decode(sentence("GP" + type.rawValue + String(repeating: ",", count: minimum - 1)) + "\r\n")
        #expect(short.statistics.rejects["too_few_fields"] == 1, "\(type) with \(minimum - 1) fields")
        let enough = decode(sentence("GP" + type.rawValue + String(repeating: ",", count: minimum)) + "\r\n")
        #expect(enough.statistics.rejects["too_few_fields"] == nil, "\(type) with \(minimum) fields")
    }

    @Test func ignoredFormattersAreCountedAsIgnoredAndOthersAsUnknown() {
        let text = SentenceTable.ignored.map { sentence("GP" + $0 + ",1,2") + "\r\n" }.joined()
        let result = decode(text)
        #expect(result.statistics.ignored == SentenceTable.ignored.count)
        #expect(result.statistics.unknown == 0)
        let unknown = decode(sentence("GPQQQ,1,2") + "\r\n" + sentence("GP1AB,1") + "\r\n")
        #expect(unknown.statistics.unknown == 2)
    }

    @Test func everyIdentitySentenceNamesTheDevice() {
        for address in SentenceTable.identityAddresses + ["DEVID"] {
            let text =
                sentence(address + ",TRK-9") + "\r\n"
                + sentence("GPRMC,120000.00,A,5545.0000,N,03737.0000,E,0.0,,261126,,,A") + "\r\n"
            #expect(decode(text).fixes.first?.device == "TRK-9", "\(address)")
        }
    }

    /// Every reader of the table decodes a common sentence of its type to the same fix as the others would: a cycle
    /// made of every decoded type gives one fix with the values each sentence carries.
    @Test func aCycleOfEveryDecodedTypeGivesOneFix() {
        let cycle = [
            "GPZDA,120000.00,26,11,2026,00,00", "GPRMC,120000.00,A,5545.0000,N,03737.0000,E,10.0,90.0,261126,,,A",
            "GPGGA,120000.00,5545.0000,N,03737.0000,E,1,08,0.9,150.0,M,14.0,M,,", "GPVTG,90.0,T,,M,10.0,N,18.5,K,A",
            "GPGSA,A,3,01,02,03,04,,,,,,,,,1.8,0.9,1.5",
            "GPGSV,1,1,04,01,40,083,46,02,17,308,41,03,07,344,39,04,22,228,45",
            "GNGNS,120000.00,5545.0000,N,03737.0000,E,AA,08,0.9,150.0,14.0,,,V",
            "GPGLL,5545.0000,N,03737.0000,E,120000.00,A,A", "GPDTM,W84,,0.0,N,0.0,E,0.0,W84",
            "GPGST,120000.00,1.0,2.0,1.0,45.0,1.5,1.5,2.5", "GPGBS,120000.00,1.5,1.5,2.5,,,,", "GPTXT,01,01,02,hello",
        ]
        #expect(Set(cycle.map { String($0.dropFirst(2).prefix(3)) }) == Set(Self.decoded.map(\.rawValue)))
        let result = decode(cycle.map { sentence($0) + "\r\n" }.joined())
        #expect(result.statistics.rejects.isEmpty, "\(result.statistics.rejects)")
        #expect(result.fixes.count == 1)
        #expect(result.fixes.first?.satellitesUsed == 8)
    }

    /// No source file but the table names a formatter as a string of its own or as a formatter word.
    @Test func noOtherSourceFileKeepsASecondList() throws {
        let names = Self.decoded.map(\.rawValue) + SentenceTable.ignored + SentenceTable.identityAddresses + ["DEVID"]
        let literals = names.map { "\"\($0)\"" }
        let words = Self.decoded.map { "0x" + String($0.row!.formatter, radix: 16, uppercase: true) }
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        var offenders: [String] = []
        for file in files where file.lastPathComponent != "SentenceTable.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for token in literals + words where text.contains(token) {
                offenders.append("\(file.lastPathComponent): \(token)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
