import OrbitaModel

/// Merges the sentences of one receiver cycle into one `Fix`.
///
/// A cycle is the set of sentences that share a UTC time (within 10 ms). A sentence with a different time
/// closes the cycle; sentences without a time (GSA, GSV, VTG, DTM) join the open cycle, and so does ZDA, whose time
/// is when it was sent. The date comes from RMC or ZDA in the same cycle or an earlier one (rolled over at
/// midnight), never from a clock.
/// A position is used only from a sentence that says it is valid (RMC/GLL status `A` and mode not `N`,
/// GGA quality above 0, GNS with a usable mode).
struct EpochAssembler {
    private(set) var fix: Fix
    private var epochTime: TimeOfDay?
    private var hasContent = false
    private var positionValid = false
    private var speedFromRMC = false
    private var ggaQuality: FixQuality?
    private var modeQuality: FixQuality?
    private var gsaMode: FixMode?
    private var dateThisEpoch: CivilDate?
    private var inView = SatelliteSet()
    private var used = SatelliteSet()
    private var usedFromGSA = 0
    // Carried from cycle to cycle.
    private var lastDate: CivilDate?
    private var lastDateTime: TimeOfDay?
    private var datum = Datum.wgs84

    init(device: String?) {
        fix = Fix(device: device)
    }

    private static let knotsToMetersPerSecond = 1852.0 / 3600.0
    private static let halfDay: Int64 = 43_200_000_000
    /// Times closer than this belong to one cycle: receivers print the same instant with different precision
    /// (Magellan eXplorist 210: GLL `200620.303`, GGA `200620.30`). Epochs of a 20 Hz receiver are 50 ms apart.
    private static let sameEpochMicroseconds: Int64 = 10_000

    /// Adds one decoded sentence (DTM sets the datum of the positions that follow it).
    /// - Returns: the fix of the previous cycle when this sentence closes it.
    mutating func add(_ sentence: Sentence, talker: Talker) -> Fix? {
        switch sentence {
        case .rmc(let rmc): return add(rmc)
        case .gga(let gga): return add(gga)
        case .gns(let gns): return add(gns)
        case .gll(let gll): return add(gll)
        case .vtg(let vtg): add(vtg)
        case .gsa(let gsa): add(gsa, talker: talker)
        case .gsv(let gsv): add(gsv, talker: talker)
        case .zda(let zda): add(zda)
        case .dtm(let dtm): add(dtm)
        case .gst(let gst): return add(gst)
        case .gbs(let gbs): return add(gbs)
        case .txt, .identity, .ignored, .proprietary: break
        }
        return nil
    }

    @inline(__always)
    mutating func add(_ rmc: RMC) -> Fix? {
        let closed = begin(rmc.time)
        if let date = rmc.date { dateThisEpoch = date }
        if rmc.isValid, let latitude = rmc.latitude, let longitude = rmc.longitude {
            setPosition(latitude, longitude)
            if let knots = rmc.speedKnots {
                fix.speedMetersPerSecond = knots * Self.knotsToMetersPerSecond
                speedFromRMC = true
            }
            if let course = rmc.courseDegrees { fix.courseDegrees = course }
            if let variation = rmc.magneticVariationDegrees { fix.magneticVariationDegrees = variation }
        }
        if let mode = rmc.modeIndicator, let quality = FixQuality(modeIndicator: mode) { modeQuality = quality }
        if let status = rmc.navigationalStatus { fix.navigationalStatus = status }
        return closed
    }

    @inline(__always)
    mutating func add(_ gga: GGA) -> Fix? {
        let closed = begin(gga.time)
        let quality = gga.qualityIndicator.flatMap(FixQuality.init(ggaIndicator:))
        if let quality { ggaQuality = quality }
        if let quality, quality != .invalid, let latitude = gga.latitude, let longitude = gga.longitude {
            setPosition(latitude, longitude)
            if let altitude = gga.altitudeMSL { fix.altitudeMSL = altitude }
            if let separation = gga.geoidSeparation { fix.geoidSeparation = separation }
            if let age = gga.differentialAgeSeconds { fix.differentialAgeSeconds = age }
        }
        if let satellites = gga.satellitesUsed { fix.satellitesUsed = satellites }
        if let hdop = gga.hdop { fix.hdop = hdop }
        return closed
    }

    @inline(__always)
    mutating func add(_ gns: GNS) -> Fix? {
        let closed = begin(gns.time)
        if gns.isValid, let latitude = gns.latitude, let longitude = gns.longitude {
            setPosition(latitude, longitude)
            if let altitude = gns.altitudeMSL { fix.altitudeMSL = altitude }
            if let separation = gns.geoidSeparation { fix.geoidSeparation = separation }
        }
        if let mode = gns.bestMode, let quality = FixQuality(modeIndicator: mode) { modeQuality = quality }
        if let satellites = gns.satellitesUsed { fix.satellitesUsed = satellites }
        if let hdop = gns.hdop { fix.hdop = hdop }
        if let status = gns.navigationalStatus { fix.navigationalStatus = status }
        return closed
    }

    @inline(__always)
    mutating func add(_ gll: GLL) -> Fix? {
        let closed = begin(gll.time)
        if gll.isValid, let latitude = gll.latitude, let longitude = gll.longitude {
            setPosition(latitude, longitude)
        }
        return closed
    }

    @inline(__always)
    mutating func add(_ vtg: VTG) {
        guard vtg.modeIndicator != UInt8(ascii: "N") else { return }
        if !speedFromRMC {
            if let knots = vtg.speedKnots {
                fix.speedMetersPerSecond = knots * Self.knotsToMetersPerSecond
            } else if let kmh = vtg.speedKilometersPerHour {
                fix.speedMetersPerSecond = kmh / 3.6
            }
        }
        if fix.courseDegrees == nil, let course = vtg.courseTrueDegrees { fix.courseDegrees = course }
    }

    @inline(__always)
    mutating func add(_ gsa: GSA, talker: Talker) {
        hasContent = true
        if let type = gsa.fixType, let mode = FixMode(rawValue: type), mode > (gsaMode ?? .noFix) {
            gsaMode = mode
        } else if gsaMode == nil, let type = gsa.fixType {
            gsaMode = FixMode(rawValue: type)
        }
        let system = gsa.systemID.flatMap(Constellation.init(nmeaSystemID:))
        for index in 0..<gsa.satellites.count {
            let number = gsa.satellites[index]
            if let system {
                used.insert(system, number: number)
            } else {
                used.insert(talker: talker, number: number)
            }
        }
        usedFromGSA += gsa.satellites.count
        if let pdop = gsa.pdop { fix.pdop = pdop }
        if let vdop = gsa.vdop { fix.vdop = vdop }
        if fix.hdop == nil, let hdop = gsa.hdop { fix.hdop = hdop }
    }

    @inline(__always)
    mutating func add(_ gsv: GSV, talker: Talker) {
        for index in 0..<gsv.numbers.count { inView.insert(talker: talker, number: gsv.numbers[index]) }
    }

    /// ZDA gives the date, never a cycle of its own: receivers send it with the time it is sent (Trimble R2:
    /// `235647.05` after a `235647.00` cycle), so its date is learned together with that time.
    mutating func add(_ zda: ZDA) {
        guard let date = zda.date, let time = zda.time ?? epochTime else { return }
        lastDate = date
        lastDateTime = time
    }

    mutating func add(_ dtm: DTM) { datum = dtm.localDatum }

    mutating func add(_ gst: GST) -> Fix? {
        let closed = begin(gst.time)
        fix.errors = gst.errors
        return closed
    }

    mutating func add(_ gbs: GBS) -> Fix? { begin(gbs.time) }

    @inline(__always)
    private mutating func setPosition(_ latitude: Double, _ longitude: Double) {
        fix.latitude = latitude
        fix.longitude = longitude
        fix.datum = datum  // DTM applies to the position sentences after it
        positionValid = true
    }

    /// Opens the cycle of a timed sentence.
    /// - Returns: the previous cycle's fix when the time differs from it.
    @inline(__always)
    private mutating func begin(_ time: TimeOfDay?) -> Fix? {
        hasContent = true
        guard let time else { return nil }
        guard let epochTime else {
            epochTime = time
            return nil
        }
        guard abs(epochTime.microseconds - time.microseconds) >= Self.sameEpochMicroseconds else { return nil }
        let closed = flush()
        hasContent = true
        self.epochTime = time
        return closed
    }

    /// Closes the open cycle and starts afresh.
    /// - Returns: the cycle's fix if it holds a time or a position.
    mutating func flush() -> Fix? {
        defer { reset() }
        guard hasContent, epochTime != nil || positionValid else { return nil }
        var out = fix
        if let time = epochTime {
            out.time = resolveTime(time)
        }
        if positionValid {
            if let gsaMode, gsaMode >= .twoDimensional {
                out.mode = gsaMode
            } else {
                out.mode = out.altitudeMSL != nil ? .threeDimensional : .twoDimensional
            }
            if let quality = ggaQuality, quality != .invalid {
                out.quality = quality
            } else if let quality = modeQuality, quality != .invalid {
                out.quality = quality
            } else {
                out.quality = .autonomous
            }
        } else {
            out.mode = .noFix
            out.quality = .invalid
            out.latitude = nil
            out.longitude = nil
            out.altitudeMSL = nil
            out.speedMetersPerSecond = nil
            out.courseDegrees = nil
        }
        if out.satellitesUsed == nil && usedFromGSA > 0 { out.satellitesUsed = used.counts.total }
        out.satellitesUsedByConstellation = used.counts
        out.satellitesInView = inView.counts
        if !positionValid { out.datum = datum }
        return out
    }

    private mutating func resolveTime(_ time: TimeOfDay) -> FixTime {
        if let date = dateThisEpoch {
            lastDate = date
            lastDateTime = time
            return .instant(UTCInstant(date: date, time: time))
        }
        guard var date = lastDate, let learnedAt = lastDateTime else { return .timeOfDay(time) }
        if time.microseconds < learnedAt.microseconds - Self.halfDay {
            date = date.next  // the clock passed midnight since the date was learned
        } else if time.microseconds > learnedAt.microseconds + Self.halfDay {
            date = date.previous  // the date was learned just after midnight (ZDA) for a cycle just before it
        }
        lastDate = date
        lastDateTime = time
        return .instant(UTCInstant(date: date, time: time))
    }

    private mutating func reset() {
        fix = Fix(device: fix.device)
        epochTime = nil
        hasContent = false
        positionValid = false
        speedFromRMC = false
        ggaQuality = nil
        modeQuality = nil
        gsaMode = nil
        dateThisEpoch = nil
        inView = SatelliteSet()
        used = SatelliteSet()
        usedFromGSA = 0
    }
}
