public import OrbitaModel

/// Recommended minimum data (RMC): time, status, position, speed, course, date.
///
/// `$GPRMC,hhmmss.ss,A,llll.ll,a,yyyyy.yy,a,x.x,x.x,ddmmyy,x.x,a,m,s*hh` — fields 12 (mode, NMEA 2.3)
/// and 13 (navigational status, NMEA 4.1) are optional. Example:
/// `$GPRMC,123308.2,A,5521.76474,N,03731.92553,E,000.48,071.9,090317,010.2,E,A*3B`.
public struct RMC: Sendable, Hashable {
    /// UTC time of the fix.
    public var time: TimeOfDay?
    /// `A` valid, `V` warning, nil when empty.
    public var status: UInt8?
    /// Latitude, degrees (north positive).
    public var latitude: Double?
    /// Longitude, degrees (east positive).
    public var longitude: Double?
    /// Speed over ground, knots.
    public var speedKnots: Double?
    /// Course over ground, degrees true.
    public var courseDegrees: Double?
    /// UTC date.
    public var date: CivilDate?
    /// Magnetic variation, degrees, east positive.
    public var magneticVariationDegrees: Double?
    /// FAA mode indicator (NMEA 2.3+).
    public var modeIndicator: UInt8?
    /// Navigational status (NMEA 4.1).
    public var navigationalStatus: UInt8?

    /// True when the position may be used: status `A` and a mode other than `N` (not valid) when present.
    ///
    /// The NMEA 4.1 navigational status is not consulted: `V` there means "the equipment gives no navigational
    /// status" (u-blox, Quectel, Furuno send `A,V` with every valid fix), not "the position is invalid".
    public var isValid: Bool { status == UInt8(ascii: "A") && modeIndicator != UInt8(ascii: "N") }
}

/// Global positioning system fix data (GGA).
///
/// `$GPGGA,hhmmss.ss,llll.ll,a,yyyyy.yy,a,q,nn,h.h,a.a,M,g.g,M,age,sta*hh`. Example:
/// `$GPGGA,123308.2,5521.76474,N,03731.92553,E,1,08,2.2,211.5,M,13.1,M,,*52`.
public struct GGA: Sendable, Hashable {
    /// UTC time of the fix.
    public var time: TimeOfDay?
    /// Latitude, degrees.
    public var latitude: Double?
    /// Longitude, degrees.
    public var longitude: Double?
    /// Fix quality digit (0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 DR…).
    public var qualityIndicator: Int?
    /// Satellites used.
    public var satellitesUsed: Int?
    /// Horizontal dilution of precision.
    public var hdop: Double?
    /// Altitude above mean sea level, metres.
    public var altitudeMSL: Double?
    /// Geoid separation, metres.
    public var geoidSeparation: Double?
    /// Age of differential corrections, seconds.
    public var differentialAgeSeconds: Double?
}

/// GNSS fix data (GNS), the multi-constellation successor of GGA.
///
/// `$GNGNS,hhmmss.ss,llll.ll,a,yyyyy.yy,a,mm,nn,h.h,a.a,g.g,age,sta,s*hh` where `mm` holds one mode letter
/// per constellation. Example: `$GPGNS,224749.00,3333.4268304,N,11153.3538273,W,D,19,0.6,406.110,-26.294,6.0,0138,S,*46`.
public struct GNS: Sendable, Hashable {
    /// UTC time of the fix.
    public var time: TimeOfDay?
    /// Latitude, degrees.
    public var latitude: Double?
    /// Longitude, degrees.
    public var longitude: Double?
    /// The best mode letter over all constellations (`N` when all are `N` or the field is empty).
    public var bestMode: UInt8?
    /// Satellites used.
    public var satellitesUsed: Int?
    /// Horizontal dilution of precision.
    public var hdop: Double?
    /// Altitude above mean sea level, metres.
    public var altitudeMSL: Double?
    /// Geoid separation, metres.
    public var geoidSeparation: Double?
    /// Navigational status (NMEA 4.1).
    public var navigationalStatus: UInt8?

    /// True when some constellation reports a usable mode (the navigational status is not consulted, see `RMC`).
    public var isValid: Bool {
        guard let bestMode, let quality = FixQuality(modeIndicator: bestMode) else { return false }
        return quality != .invalid
    }
}

/// Geographic position (GLL).
///
/// `$GPGLL,llll.ll,a,yyyyy.yy,a,hhmmss.ss,A,m*hh`. Example: `$GPGLL,3723.2475,N,12158.3416,W,161229.487,A,A*41`.
public struct GLL: Sendable, Hashable {
    /// Latitude, degrees.
    public var latitude: Double?
    /// Longitude, degrees.
    public var longitude: Double?
    /// UTC time.
    public var time: TimeOfDay?
    /// `A` valid, `V` not valid.
    public var status: UInt8?
    /// FAA mode indicator (NMEA 2.3+).
    public var modeIndicator: UInt8?

    /// True when status is `A` and the mode, if sent, is not `N`.
    public var isValid: Bool { status == UInt8(ascii: "A") && modeIndicator != UInt8(ascii: "N") }
}

/// Course over ground and ground speed (VTG).
///
/// `$GPVTG,t.t,T,m.m,M,n.n,N,k.k,K,m*hh`. Example: `$GPVTG,071.9,T,061.7,M,000.48,N,0000.88,K,A*10`.
public struct VTG: Sendable, Hashable {
    /// Course over ground, degrees true.
    public var courseTrueDegrees: Double?
    /// Course over ground, degrees magnetic.
    public var courseMagneticDegrees: Double?
    /// Speed, knots.
    public var speedKnots: Double?
    /// Speed, km/h.
    public var speedKilometersPerHour: Double?
    /// FAA mode indicator.
    public var modeIndicator: UInt8?
}

/// Satellite numbers of a GSA or a GSV, stored inline.
public struct SatelliteNumbers: Sendable, Hashable {
    private var storage:
        (
            UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
            UInt16, UInt16, UInt16, UInt16, UInt16
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// How many numbers are stored (at most 16).
    public private(set) var count = 0

    /// Capacity of the inline storage.
    public static let capacity = 16

    /// An empty list.
    public init() {}

    /// Appends a number; numbers past the capacity are ignored.
    mutating func append(_ value: Int) {
        guard count < Self.capacity else { return }
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.storeBytes(of: UInt16(clamping: value), toByteOffset: count * 2, as: UInt16.self)
        }
        count += 1
    }

    /// The number at a position below `count`.
    public subscript(index: Int) -> Int {
        withUnsafeBytes(of: storage) { Int($0.load(fromByteOffset: index * 2, as: UInt16.self)) }
    }

    /// The numbers as an array (allocates).
    public var array: [Int] { (0..<count).map { self[$0] } }

    /// True when both hold the same values.
    public static func == (lhs: SatelliteNumbers, rhs: SatelliteNumbers) -> Bool { lhs.array == rhs.array }
    /// Hashes the same values `==` compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }
}

/// DOP and active satellites (GSA).
///
/// `$GNGSA,A,3,p1,…,p12,pdop,hdop,vdop,sys*hh` (system ID from NMEA 4.10). Example:
/// `$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39`.
public struct GSA: Sendable, Hashable {
    /// `A` automatic or `M` manual 2D/3D selection.
    public var selectionMode: UInt8?
    /// 1 no fix, 2 2D, 3 3D.
    public var fixType: Int?
    /// Satellites used in the solution.
    public var satellites = SatelliteNumbers()
    /// Position dilution of precision.
    public var pdop: Double?
    /// Horizontal dilution of precision.
    public var hdop: Double?
    /// Vertical dilution of precision.
    public var vdop: Double?
    /// NMEA 4.10 system ID (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC).
    public var systemID: Int?
}

/// One satellite of a GSV sentence.
public struct SatelliteInView: Sendable, Hashable {
    /// Satellite number as sent.
    public var number: Int
    /// Elevation, degrees.
    public var elevationDegrees: Int?
    /// Azimuth, degrees true.
    public var azimuthDegrees: Int?
    /// Signal-to-noise ratio, dB-Hz.
    public var snr: Double?
}

/// Satellites in view (GSV), one message of a group.
///
/// `$GPGSV,n,m,tt,prn,el,az,snr,…(up to 4 blocks),sig*hh`. Example:
/// `$GLGSV,3,1,10,74,40,078,43,66,23,275,31,82,10,347,36,73,15,015,38*6B`.
public struct GSV: Sendable, Hashable {
    /// Number of messages in the group.
    public var messageCount: Int
    /// This message's number, from 1.
    public var messageNumber: Int
    /// Satellites in view in total (for this talker and signal).
    public var satellitesInView: Int?
    /// The satellite numbers of this message's blocks.
    public var numbers = SatelliteNumbers()
    /// NMEA 4.10 signal ID.
    public var signalID: Int?
    /// Elevation, azimuth (Int16.min when absent) and SNR (NaN when absent) of each block, stored compactly.
    private var elevations: SIMD4<Int16> = SIMD4(repeating: .min)
    private var azimuths: SIMD4<Int16> = SIMD4(repeating: .min)
    private var snrs: SIMD4<Float> = SIMD4(repeating: .nan)

    init(messageCount: Int, messageNumber: Int) {
        self.messageCount = messageCount
        self.messageNumber = messageNumber
    }

    /// The satellite blocks of this message (at most four).
    public var satellites: [SatelliteInView] {
        (0..<numbers.count).map { slot in
            SatelliteInView(
                number: numbers[slot], elevationDegrees: elevations[slot] == .min ? nil : Int(elevations[slot]),
                azimuthDegrees: azimuths[slot] == .min ? nil : Int(azimuths[slot]),
                snr: snrs[slot].isNaN ? nil : Double(snrs[slot]))
        }
    }

    /// True when both hold the same values.
    public static func == (lhs: GSV, rhs: GSV) -> Bool {
        lhs.messageCount == rhs.messageCount && lhs.messageNumber == rhs.messageNumber
            && lhs.satellitesInView == rhs.satellitesInView && lhs.signalID == rhs.signalID
            && lhs.satellites == rhs.satellites
    }

    /// Hashes the same values `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(messageNumber)
        hasher.combine(satellites)
    }

    mutating func add(number: Int, elevation: Int?, azimuth: Int?, snr: Double?) {
        let slot = numbers.count
        guard slot < 4 else { return }
        elevations[slot] = elevation.map { Int16(clamping: $0) } ?? .min
        azimuths[slot] = azimuth.map { Int16(clamping: $0) } ?? .min
        snrs[slot] = snr.map { Float($0) } ?? .nan
        numbers.append(number)
    }
}

/// Time and date (ZDA).
///
/// `$GPZDA,hhmmss.ss,dd,mm,yyyy,zh,zm*hh`. Example: `$GPZDA,160012.71,11,03,2004,-1,00*7D`.
public struct ZDA: Sendable, Hashable {
    /// UTC time.
    public var time: TimeOfDay?
    /// UTC date.
    public var date: CivilDate?
    /// Local zone hours.
    public var zoneHours: Int?
    /// Local zone minutes.
    public var zoneMinutes: Int?
}

/// Datum reference (DTM).
///
/// `$GPDTM,ccc,a,x.x,a,x.x,a,x.x,ccc*hh`. Example: `$GPDTM,W84,,0.0,N,0.0,E,0.0,W84*6F`.
public struct DTM: Sendable, Hashable {
    /// The local datum the positions are in.
    public var localDatum: Datum
    /// The reference datum of the offsets, when sent.
    public var referenceDatum: Datum?
}

/// Pseudorange error statistics (GST), metres.
///
/// `$GPGST,hhmmss.ss,rms,smaj,smin,orient,lat,lon,alt*hh`. Example: `$GPGST,024603.00,3.2,6.6,4.7,47.3,5.8,5.6,22.0*58`.
public struct GST: Sendable, Hashable {
    /// UTC time.
    public var time: TimeOfDay?
    /// The error estimates.
    public var errors: ErrorEstimates
}

/// Satellite fault detection (GBS).
///
/// `$GPGBS,hhmmss.ss,elat,elon,ealt,svid,prob,bias,sd*hh`. Example: `$GNGBS,170556.00,3.0,2.9,8.3,,,,*5C`.
public struct GBS: Sendable, Hashable {
    /// UTC time.
    public var time: TimeOfDay?
    /// Expected latitude error, metres.
    public var latitudeErrorMeters: Double?
    /// Expected longitude error, metres.
    public var longitudeErrorMeters: Double?
    /// Expected altitude error, metres.
    public var altitudeErrorMeters: Double?
}

/// Text message (TXT).
///
/// `$GPTXT,nn,nn,tt,text*hh`. Example: `$GNTXT,01,01,02,u-blox AG - www.u-blox.com*4E`.
public struct TXT: Sendable, Hashable {
    /// The message type (00 error, 01 warning, 02 notice, 07 user).
    public var messageType: Int?
    /// The text.
    public var text: String
}

/// A decoded sentence.
public enum Sentence: Sendable, Hashable {
    /// RMC.
    case rmc(RMC)
    /// GGA.
    case gga(GGA)
    /// GNS.
    case gns(GNS)
    /// GLL.
    case gll(GLL)
    /// VTG.
    case vtg(VTG)
    /// GSA.
    case gsa(GSA)
    /// GSV.
    case gsv(GSV)
    /// ZDA.
    case zda(ZDA)
    /// DTM.
    case dtm(DTM)
    /// GST.
    case gst(GST)
    /// GBS.
    case gbs(GBS)
    /// TXT.
    case txt(TXT)
    /// A device identity sentence (`$PGID,ID`, `$PCPTI,ID,…`, `$DEVID,ID`, `$PSIWMDID,ID`).
    case identity(String)
    /// A well-formed sentence Orbita knows and deliberately ignores (`SentenceTable.ignored`).
    case ignored
    /// A proprietary `$P…` sentence with a valid frame, passed over.
    case proprietary
}
