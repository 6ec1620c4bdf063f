import OrbitaModel

/// Sentence decoders: each checks its type's minimum field count (`SentenceTable`), then reads the fields in order.
enum SentenceDecoding {
    /// Decodes a framed sentence; throws `unknownSentence` for a formatter Orbita does not know.
    @inline(__always)
    static func decode(_ frame: Frame) throws(SentenceError) -> Sentence {
        if frame.isProprietary { return try decodeProprietary(frame) }
        var fields = FieldCursor(frame)
        switch SentenceTable.kind(of: frame.formatter) {
        case .decoded(let type): return try type.decode(&fields)
        case .ignored: return .ignored
        case .unknown:
            if frame.addressLength == 5, frame.addressStart[4] == UInt8(ascii: "Q"), frame.fieldCount == 1 {
                return .ignored  // a query such as `$CCGPQ,GGA`
            }
            if frame.address == SentenceTable.devidAddress {
                return try decodeIdentity(&fields)  // `$DEVID,0x0103846677F21422`
            }
            throw .unknownSentence
        }
    }

    private static func decodeProprietary(_ frame: Frame) throws(SentenceError) -> Sentence {
        let address = UnsafeBufferPointer(start: frame.addressStart, count: frame.addressLength)
        if SentenceTable.identityAddresses.contains(where: { address.elementsEqual($0.utf8) }) {
            var fields = FieldCursor(frame)
            return try decodeIdentity(&fields)
        }
        return .proprietary
    }

    /// An identity sentence's first field, the device ID.
    static func decodeIdentity(_ fields: inout FieldCursor) throws(SentenceError) -> Sentence {
        let field = fields.next()
        guard !field.isEmpty, field.count <= DeviceIdentity.maximumLength else {
            throw .badField(sentence: .identity, field: 1)
        }
        return .identity(field.text)
    }

    // MARK: - Field helpers

    @inline(__always)
    private static func require(_ fields: FieldCursor, _ type: SentenceType) throws(SentenceError) {
        if fields.count < type.minimumFields { throw .tooFewFields(sentence: type, count: fields.count) }
    }

    /// Reads an optional field with a parser: empty → nil, malformed → error naming the field.
    @inline(__always)
    private static func optional<T>(
        _ field: Field, _ fields: FieldCursor, _ type: SentenceType, _ parse: (Field) -> T?
    ) throws(SentenceError) -> T? {
        if field.isEmpty { return nil }
        guard let value = parse(field) else { throw .badField(sentence: type, field: fields.index) }
        return value
    }

    @inline(__always)
    private static func letter(_ field: Field, _ fields: FieldCursor, _ type: SentenceType) throws(SentenceError)
        -> UInt8?
    {
        if field.isEmpty { return nil }
        guard field.count == 1 else { throw .badField(sentence: type, field: fields.index) }
        return field[0]
    }

    /// Reads a `value,hemisphere` coordinate pair; both empty gives nil.
    @inline(__always)
    private static func coordinate(
        _ fields: inout FieldCursor, _ type: SentenceType, isLatitude: Bool
    ) throws(SentenceError) -> Double? {
        let value = fields.next()
        let valueIndex = fields.index
        let hemisphere = fields.next()
        if value.isEmpty {
            guard hemisphere.isEmpty || hemisphere.count == 1 else {
                throw .badField(sentence: type, field: fields.index)
            }
            return nil
        }
        guard let degrees = value.degreesMinutes(maxDegreeDigits: isLatitude ? 2 : 3),
            degrees <= (isLatitude ? 90 : 180)
        else { throw .badField(sentence: type, field: valueIndex) }
        guard hemisphere.count == 1 else { throw .badField(sentence: type, field: fields.index) }
        switch hemisphere[0] {
        case isLatitude ? UInt8(ascii: "N") : UInt8(ascii: "E"): return degrees
        case isLatitude ? UInt8(ascii: "S") : UInt8(ascii: "W"): return -degrees
        default: throw .badField(sentence: type, field: fields.index)
        }
    }

    @inline(__always)
    private static func time(_ fields: inout FieldCursor, _ type: SentenceType) throws(SentenceError) -> TimeOfDay? {
        try optional(fields.next(), fields, type) { $0.timeOfDay() }
    }

    @inline(__always)
    private static func decimal(_ fields: inout FieldCursor, _ type: SentenceType) throws(SentenceError) -> Double? {
        try fields.nextDecimal(type)
    }

    @inline(__always)
    private static func integer(_ fields: inout FieldCursor, _ type: SentenceType) throws(SentenceError) -> Int? {
        try fields.nextInteger(type)
    }

    // MARK: - Decoders

    @inline(__always)
    static func decodeRMC(_ fields: inout FieldCursor) throws(SentenceError) -> RMC {
        try require(fields, .rmc)
        var rmc = RMC()
        rmc.time = try time(&fields, .rmc)
        rmc.status = try letter(fields.next(), fields, .rmc)
        rmc.latitude = try coordinate(&fields, .rmc, isLatitude: true)
        rmc.longitude = try coordinate(&fields, .rmc, isLatitude: false)
        rmc.speedKnots = try decimal(&fields, .rmc)
        rmc.courseDegrees = try decimal(&fields, .rmc)
        rmc.date = try optional(fields.next(), fields, .rmc) { $0.date() }
        let variation = try decimal(&fields, .rmc)
        let variationDirection = try letter(fields.next(), fields, .rmc)
        if let variation {
            rmc.magneticVariationDegrees = variationDirection == UInt8(ascii: "W") ? -variation : variation
        }
        rmc.modeIndicator = try letter(fields.next(), fields, .rmc)
        rmc.navigationalStatus = try letter(fields.next(), fields, .rmc)
        return rmc
    }

    @inline(__always)
    static func decodeGGA(_ fields: inout FieldCursor) throws(SentenceError) -> GGA {
        try require(fields, .gga)
        var gga = GGA()
        gga.time = try time(&fields, .gga)
        gga.latitude = try coordinate(&fields, .gga, isLatitude: true)
        gga.longitude = try coordinate(&fields, .gga, isLatitude: false)
        gga.qualityIndicator = try integer(&fields, .gga)
        gga.satellitesUsed = try integer(&fields, .gga)
        gga.hdop = try decimal(&fields, .gga)
        gga.altitudeMSL = try decimal(&fields, .gga)
        fields.skip(1)
        gga.geoidSeparation = try decimal(&fields, .gga)
        fields.skip(1)
        gga.differentialAgeSeconds = try decimal(&fields, .gga)
        return gga
    }

    static func decodeGNS(_ fields: inout FieldCursor) throws(SentenceError) -> GNS {
        try require(fields, .gns)
        var gns = GNS()
        gns.time = try time(&fields, .gns)
        gns.latitude = try coordinate(&fields, .gns, isLatitude: true)
        gns.longitude = try coordinate(&fields, .gns, isLatitude: false)
        let modes = fields.next()
        var best: (rank: Int, letter: UInt8)? = nil
        for index in 0..<modes.count {
            let letter = modes[index]
            guard let quality = FixQuality(modeIndicator: letter) else {
                throw .badField(sentence: .gns, field: fields.index)
            }
            let rank = quality == .invalid ? 0 : quality.rawValue + 1
            if best == nil || rank > (best?.rank ?? 0) { best = (rank, letter) }
        }
        gns.bestMode = best?.letter
        gns.satellitesUsed = try integer(&fields, .gns)
        gns.hdop = try decimal(&fields, .gns)
        gns.altitudeMSL = try decimal(&fields, .gns)
        gns.geoidSeparation = try decimal(&fields, .gns)
        fields.skip(2)
        gns.navigationalStatus = try letter(fields.next(), fields, .gns)
        return gns
    }

    static func decodeGLL(_ fields: inout FieldCursor) throws(SentenceError) -> GLL {
        try require(fields, .gll)
        var gll = GLL()
        gll.latitude = try coordinate(&fields, .gll, isLatitude: true)
        gll.longitude = try coordinate(&fields, .gll, isLatitude: false)
        gll.time = try time(&fields, .gll)
        gll.status = try letter(fields.next(), fields, .gll)
        gll.modeIndicator = try letter(fields.next(), fields, .gll)
        return gll
    }

    @inline(__always)
    static func decodeVTG(_ fields: inout FieldCursor) throws(SentenceError) -> VTG {
        try require(fields, .vtg)
        var vtg = VTG()
        vtg.courseTrueDegrees = try decimal(&fields, .vtg)
        fields.skip(1)
        vtg.courseMagneticDegrees = try decimal(&fields, .vtg)
        fields.skip(1)
        vtg.speedKnots = try decimal(&fields, .vtg)
        fields.skip(1)
        vtg.speedKilometersPerHour = try decimal(&fields, .vtg)
        fields.skip(1)
        vtg.modeIndicator = try letter(fields.next(), fields, .vtg)
        return vtg
    }

    @inline(__always)
    static func decodeGSA(_ fields: inout FieldCursor) throws(SentenceError) -> GSA {
        try require(fields, .gsa)
        var gsa = GSA()
        gsa.selectionMode = try letter(fields.next(), fields, .gsa)
        gsa.fixType = try integer(&fields, .gsa)
        if let fixType = gsa.fixType, !(1...3).contains(fixType) { throw .badField(sentence: .gsa, field: 2) }
        // 12 satellite slots by the standard, then PDOP, HDOP, VDOP and (NMEA 4.10) the system ID. A truncated
        // GSA has fewer slots and no DOPs; a receiver with more slots puts the DOPs and system ID last.
        let slotCount = fields.count >= 17 ? max(12, fields.count - 6) : fields.count - 2
        for _ in 0..<slotCount {
            if let number = try integer(&fields, .gsa) { gsa.satellites.append(number) }
        }
        if fields.count >= 17 {
            gsa.pdop = try decimal(&fields, .gsa)
            gsa.hdop = try decimal(&fields, .gsa)
            gsa.vdop = try decimal(&fields, .gsa)
            gsa.systemID = try optional(fields.next(), fields, .gsa) { field in
                field.count == 1 ? hexValue(field[0]).map(Int.init) : nil
            }
        }
        return gsa
    }

    /// Decodes a GSV; `keepDetails: false` (the stream decoder) validates every field but keeps only the satellite
    /// numbers, which is all a cycle needs.
    @inline(__always)
    static func decodeGSV(_ fields: inout FieldCursor, keepDetails: Bool = true) throws(SentenceError) -> GSV {
        try require(fields, .gsv)
        guard let total = try integer(&fields, .gsv), let number = try integer(&fields, .gsv),
            total >= 1, number >= 1, number <= total
        else { throw .badField(sentence: .gsv, field: fields.index) }
        var gsv = GSV(messageCount: total, messageNumber: number)
        gsv.satellitesInView = try integer(&fields, .gsv)
        let remaining = fields.count - 3
        let blocks = min(remaining / 4, 4)
        for _ in 0..<blocks {
            let prn = try integer(&fields, .gsv)
            if keepDetails {
                let elevation = try integer(&fields, .gsv)
                let azimuth = try integer(&fields, .gsv)
                let snr = try decimal(&fields, .gsv)
                if let prn { gsv.add(number: prn, elevation: elevation, azimuth: azimuth, snr: snr) }
            } else {
                for _ in 0..<3 {
                    let field = fields.next()
                    if !field.isEmpty && !field.isDecimalNumber { throw .badField(sentence: .gsv, field: fields.index) }
                }
                if let prn { gsv.numbers.append(prn) }
            }
        }
        if remaining - blocks * 4 == 1 {
            gsv.signalID = try optional(fields.next(), fields, .gsv) { field in
                field.count == 1 ? hexValue(field[0]).map(Int.init) : nil
            }
        }
        return gsv
    }

    static func decodeZDA(_ fields: inout FieldCursor) throws(SentenceError) -> ZDA {
        try require(fields, .zda)
        var zda = ZDA()
        zda.time = try time(&fields, .zda)
        let day = try integer(&fields, .zda)
        let month = try integer(&fields, .zda)
        let yearField = fields.next()
        let year = try optional(yearField, fields, .zda) { $0.count == 4 ? $0.integer() : nil }
        if let day, let month, let year {
            guard let date = CivilDate(year: year, month: month, day: day) else {
                throw .badField(sentence: .zda, field: 2)
            }
            zda.date = date
        }
        zda.zoneHours = try integer(&fields, .zda)
        zda.zoneMinutes = try integer(&fields, .zda)
        return zda
    }

    static func decodeDTM(_ fields: inout FieldCursor) throws(SentenceError) -> DTM {
        try require(fields, .dtm)
        let local = fields.next()
        guard !local.isEmpty, local.count <= 5 else { throw .badField(sentence: .dtm, field: 1) }
        fields.skip(6)
        let reference = fields.next()
        return DTM(
            localDatum: Datum(nmeaCode: local.bytes),
            referenceDatum: reference.isEmpty ? nil : Datum(nmeaCode: reference.bytes))
    }

    static func decodeGST(_ fields: inout FieldCursor) throws(SentenceError) -> GST {
        try require(fields, .gst)
        let time = try time(&fields, .gst)
        let errors = ErrorEstimates(
            rangeRMS: try decimal(&fields, .gst), semiMajorMeters: try decimal(&fields, .gst),
            semiMinorMeters: try decimal(&fields, .gst), orientationDegrees: try decimal(&fields, .gst),
            latitudeMeters: try decimal(&fields, .gst), longitudeMeters: try decimal(&fields, .gst),
            altitudeMeters: try decimal(&fields, .gst))
        return GST(time: time, errors: errors)
    }

    static func decodeGBS(_ fields: inout FieldCursor) throws(SentenceError) -> GBS {
        try require(fields, .gbs)
        var gbs = GBS()
        gbs.time = try time(&fields, .gbs)
        gbs.latitudeErrorMeters = try decimal(&fields, .gbs)
        gbs.longitudeErrorMeters = try decimal(&fields, .gbs)
        gbs.altitudeErrorMeters = try decimal(&fields, .gbs)
        return gbs
    }

    static func decodeTXT(_ fields: inout FieldCursor) throws(SentenceError) -> TXT {
        try require(fields, .txt)
        var type: Int? = nil
        if fields.count >= 4 {
            fields.skip(2)
            type = try integer(&fields, .txt)
        }
        // The text itself may hold commas; a short, non-standard TXT is all text.
        var text = fields.next().text
        while fields.index < fields.count { text += "," + fields.next().text }
        return TXT(messageType: type, text: text)
    }
}
