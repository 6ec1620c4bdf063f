public import Foundation
import NMEA
import OrbitaModel

/// A logged NMEA file cut into cycles for replay: a cycle ends where the time of a time-bearing sentence (RMC, GGA,
/// GNS, GLL, ZDA) changes or a device identity line begins another vehicle's data. Lines are sent as they are.
public struct ReplayLog: Sendable {
    /// One cycle: its lines (CR LF ended) and its time of day in seconds (unwrapped past midnight), if known.
    public struct Cycle: Sendable {
        /// Its lines, each ended by CR LF.
        public var bytes: [UInt8]
        /// Its time of day in seconds, if known.
        public var seconds: Double?
    }

    /// The cycles, in file order.
    public private(set) var cycles: [Cycle] = []

    /// Cuts `data` into cycles. Each cycle starts with the identity line in force (the file's latest, or `identity`,
    /// a `$PGID` line with CR LF, for a file that names no device), so that every datagram names its vehicle.
    public init(_ data: Data, identity: [UInt8]? = nil) {
        var fileIdentity: [UInt8]?
        func prefix() -> [UInt8] { fileIdentity.map { $0 + [13, 10] } ?? identity ?? [] }
        var current = Cycle(bytes: prefix(), seconds: nil)
        var prefixLength = current.bytes.count
        var currentTime: Double?
        var dayOffset = 0.0
        var previous: Double?
        func close() {
            if current.bytes.count > prefixLength { cycles.append(current) }
            current = Cycle(bytes: prefix(), seconds: nil)
            prefixLength = current.bytes.count
            currentTime = nil
        }
        for rawLine in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = Array(rawLine)
            while let last = line.last, last == 13 || last == 0 { line.removeLast() }
            guard !line.isEmpty else { continue }
            if Self.identity(line) != nil {
                close()
                fileIdentity = line
                current = Cycle(bytes: prefix(), seconds: nil)
                prefixLength = current.bytes.count
                continue
            }
            if var time = Self.timeOfDay(line) {
                if let previous, time + dayOffset < previous - 43_200 { dayOffset += 86_400 }
                time += dayOffset
                if let currentTime, currentTime != time { close() }
                if currentTime == nil {
                    currentTime = time
                    current.seconds = time
                    previous = time
                }
            }
            current.bytes += line
            current.bytes += [13, 10]
        }
        close()
    }

    /// The identity a line names: an identity sentence (`$PGID,ID`, …) or a line without a sentence (`IMEI=ID`, a
    /// bare ID), as the decoder reads them.
    static func identity(_ line: [UInt8]) -> String? {
        if let id = line.withUnsafeBufferPointer({ DeviceIdentity.identity(ofLine: $0) }) { return id }
        guard case .identity(let id)? = try? ParsedSentence.parse(line).sentence else { return nil }
        return id
    }

    /// The UTC time of day of a time-bearing sentence, in seconds.
    static func timeOfDay(_ line: [UInt8]) -> Double? {
        guard let dollar = line.firstIndex(of: UInt8(ascii: "$")),
            let sentence = try? ParsedSentence.parse(line[dollar...]).sentence
        else { return nil }
        let time: TimeOfDay?
        switch sentence {
        case .rmc(let rmc): time = rmc.time
        case .gga(let gga): time = gga.time
        case .gns(let gns): time = gns.time
        case .gll(let gll): time = gll.time
        case .zda(let zda): time = zda.time
        default: time = nil
        }
        return time.map { Double($0.microseconds) / 1_000_000 }
    }
}
