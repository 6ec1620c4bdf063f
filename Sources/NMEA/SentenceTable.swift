/// The one table of every sentence Orbita knows, as gpsd keeps its `nmea_phrase[]` (`drivers/driver_nmea0183.c`):
/// for each formatter the type it decodes to, the fields it must have, its decoder and how the stream decoder reads it;
/// the formatters that are known and ignored; and the identity sentences. Nothing else in the sources names a
/// formatter (`SentenceTableTests` looks).
public enum SentenceTable {
    /// How the stream decoder (`NMEADecoder`) reads a sentence.
    public enum Reader: Sendable, Equatable {
        /// Straight into the cycle, without a `Sentence` value in between: the sentences of every cycle.
        case direct
        /// A fast reader of the common layout first (`GSVScanner`, `GSAScanner`); the decoder when it declines.
        case scanner
        /// Through `decode`, as a `Sentence`.
        case decoder
    }

    /// One decoded formatter's row.
    public struct Row: Sendable, Equatable {
        /// The three formatter letters as one big-endian word ("RMC" → 0x524D43), as `Frame.formatter` gives them.
        public let formatter: UInt32
        /// Fewer fields than this reject the sentence (`tooFewFields`) before any field is read.
        public let minimumFields: Int
        /// How the stream decoder reads it.
        public let reader: Reader
    }

    /// Formatters that are well formed but carry nothing Orbita uses — navigation (waypoints, routes, cross-track),
    /// heading, marine instruments, AIS, almanac, range residuals — counted as ignored rather than unknown.
    public static let ignored: [String] = [
        "AAM", "ABK", "ACK", "ALM", "ALR", "APA", "APB", "BOD", "BWC", "BWR", "BWW", "DBK", "DBS", "DBT", "DPT",
        "EPV", "GFA", "GRS", "HCC", "HCD", "HDG", "HDM", "HDT", "MDA", "MSK", "MSS", "MTW", "MWD", "MWV", "OSD",
        "RLM", "RMA", "RMB", "ROT", "RPM", "RSA", "RSD", "RTE", "STN", "THS", "TLL", "TRF", "TTM", "VBW", "VDM",
        "VDO", "VDR", "VHW", "VLW", "VPW", "VWR", "WCV", "WNC", "WPL", "XDR", "XTE", "XTR", "ZFO", "ZTG",
    ]

    /// Proprietary addresses of identity sentences, whose first field is the device ID. `$DEVID` (talker `DE`,
    /// formatter `VID`) is the fourth identity form; `NMEADecoder` compares `$PGID`, the most common, in place.
    public static let identityAddresses: [String] = ["PGID", "PCPTI", "PSIWMDID"]

    /// `$DEVID`'s address, which parses as talker `DE` and formatter `VID`.
    static let devidAddress = "DEVID"

    /// "PGID" as a little-endian word, how `NMEADecoder` compares it in place.
    static let pgidWord: UInt32 = 0x4449_4750

    /// What a formatter is: decoded (a `SentenceType`), ignored, or unknown.
    enum Kind: Equatable {
        case decoded(SentenceType)
        case ignored
        case unknown
    }

    /// The kind of a formatter word, by one load from a table over the 26³ three-letter formatters.
    @inline(__always)
    static func kind(of formatter: UInt32) -> Kind {
        guard let index = letterIndex(formatter) else { return .unknown }
        let code = Int(kinds[index])
        if code == 0 { return .unknown }
        if code == 1 { return .ignored }
        return .decoded(SentenceType.allCases[code - 2])
    }

    /// A formatter's three letters as a word.
    static func word(_ letters: String) -> UInt32 {
        letters.utf8.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// 0 unknown, 1 ignored, 2 + the index in `SentenceType.allCases`.
    private static let kinds: [UInt8] = {
        var kinds = [UInt8](repeating: 0, count: 26 * 26 * 26)
        for name in ignored {
            if let index = letterIndex(word(name)) { kinds[index] = 1 }
        }
        for (position, type) in SentenceType.allCases.enumerated() {
            if let row = type.row, let index = letterIndex(row.formatter) { kinds[index] = UInt8(position + 2) }
        }
        return kinds
    }()

    @inline(__always)
    private static func letterIndex(_ formatter: UInt32) -> Int? {
        let a = (formatter >> 16 & 0xFF) &- 65
        let b = (formatter >> 8 & 0xFF) &- 65
        let c = (formatter & 0xFF) &- 65
        guard a < 26, b < 26, c < 26, formatter >> 24 == 0 else { return nil }
        return Int(a * 676 + b * 26 + c)
    }
}

/// The sentence types Orbita decodes, named by their NMEA formatter.
public enum SentenceType: String, Sendable, Hashable, CaseIterable {
    /// Recommended minimum data.
    case rmc = "RMC"
    /// Fix data.
    case gga = "GGA"
    /// GNSS fix data (multi-constellation).
    case gns = "GNS"
    /// Geographic position.
    case gll = "GLL"
    /// Course and speed over ground.
    case vtg = "VTG"
    /// DOP and active satellites.
    case gsa = "GSA"
    /// Satellites in view.
    case gsv = "GSV"
    /// Date and time.
    case zda = "ZDA"
    /// Datum reference.
    case dtm = "DTM"
    /// Pseudorange error statistics.
    case gst = "GST"
    /// Satellite fault detection.
    case gbs = "GBS"
    /// Text message.
    case txt = "TXT"
    /// A device identity sentence (`SentenceTable.identityAddresses`, `$DEVID`): no formatter of its own.
    case identity = "ID"

    /// The table's row: formatter word, minimum fields, reader (nil for `identity`, which has no formatter).
    @inline(__always)
    public var row: SentenceTable.Row? {
        typealias Row = SentenceTable.Row
        return switch self {
        //                         formatter             fields             reader
        case .rmc: Row(formatter: 0x524D43, minimumFields: 9, reader: .direct)
        case .gga: Row(formatter: 0x474741, minimumFields: 6, reader: .direct)
        case .vtg: Row(formatter: 0x565447, minimumFields: 1, reader: .direct)
        case .gsv: Row(formatter: 0x475356, minimumFields: 3, reader: .scanner)
        case .gsa: Row(formatter: 0x475341, minimumFields: 2, reader: .scanner)
        case .gns: Row(formatter: 0x474E53, minimumFields: 6, reader: .decoder)
        case .gll: Row(formatter: 0x474C4C, minimumFields: 4, reader: .decoder)
        case .zda: Row(formatter: 0x5A4441, minimumFields: 4, reader: .decoder)
        case .dtm: Row(formatter: 0x44544D, minimumFields: 1, reader: .decoder)
        case .gst: Row(formatter: 0x475354, minimumFields: 8, reader: .decoder)
        case .gbs: Row(formatter: 0x474253, minimumFields: 4, reader: .decoder)
        case .txt: Row(formatter: 0x545854, minimumFields: 1, reader: .decoder)
        case .identity: nil
        }
    }

    /// The formatter word (0 for `identity`); constant where the type is.
    @inline(__always)
    var formatter: UInt32 { row?.formatter ?? 0 }

    /// Fewer fields reject the sentence (identity sentences need their ID field).
    @inline(__always)
    var minimumFields: Int { row?.minimumFields ?? 1 }

    /// Decodes the fields of a sentence of this type with its decoder.
    @inline(__always)
    func decode(_ fields: inout FieldCursor) throws(SentenceError) -> Sentence {
        switch self {
        case .rmc: .rmc(try SentenceDecoding.decodeRMC(&fields))
        case .gga: .gga(try SentenceDecoding.decodeGGA(&fields))
        case .vtg: .vtg(try SentenceDecoding.decodeVTG(&fields))
        case .gsv: .gsv(try SentenceDecoding.decodeGSV(&fields))
        case .gsa: .gsa(try SentenceDecoding.decodeGSA(&fields))
        case .gns: .gns(try SentenceDecoding.decodeGNS(&fields))
        case .gll: .gll(try SentenceDecoding.decodeGLL(&fields))
        case .zda: .zda(try SentenceDecoding.decodeZDA(&fields))
        case .dtm: .dtm(try SentenceDecoding.decodeDTM(&fields))
        case .gst: .gst(try SentenceDecoding.decodeGST(&fields))
        case .gbs: .gbs(try SentenceDecoding.decodeGBS(&fields))
        case .txt: .txt(try SentenceDecoding.decodeTXT(&fields))
        case .identity: try SentenceDecoding.decodeIdentity(&fields)
        }
    }
}
