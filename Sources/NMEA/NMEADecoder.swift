import Glibc
public import OrbitaModel

/// Turns a stream of NMEA bytes (a log file, a TCP connection, datagrams) into fixes.
///
/// A reference type: it holds per-device state for one stream; use one decoder per stream and thread.
///
/// Feed it chunks in order with `decode(_:emit:)`; a line split across chunks is joined. Call `finish(emit:)`
/// at the end to emit the cycles still open. Device identities in the stream (see `DeviceIdentity`) switch the
/// device the following sentences belong to; each device has its own cycle and date. Bad input is counted in
/// `statistics`, never thrown.
public final class NMEADecoder {
    /// The framing policy.
    public let options: DecoderOptions
    /// Counts so far.
    @exclusivity(unchecked) public private(set) var statistics = DecodeStatistics()

    private let commaBuffer: CommaBuffer
    private var carry: [UInt8] = []
    private var carryOverflowed = false
    @exclusivity(unchecked) private var active: DeviceState
    private var activeDevice: String?
    /// Every identified device's state (the active one included), so that switching back is one lookup.
    private var parked: [String: DeviceState] = [:]

    /// One device's open cycle, boxed so that switching devices moves a reference, not the whole state.
    private final class DeviceState {
        @exclusivity(unchecked) var assembler: EpochAssembler
        init(device: String?) { assembler = EpochAssembler(device: device) }
    }

    /// The longest line kept while waiting for its end; longer lines are counted as too long.
    public static let maximumLineLength = 4096

    /// Creates a decoder.
    /// - Parameters:
    ///   - options: the framing policy.
    ///   - device: the device the data belongs to until the stream names one (e.g. `--vehicle`).
    public init(options: DecoderOptions = .lenient, device: String? = nil) {
        self.options = options
        self.commaBuffer = CommaBuffer(options: options)
        self.activeDevice = device
        self.active = DeviceState(device: device)
        if let device { parked[device] = active }
    }

    /// Forgets everything the stream said (devices, open cycles, a partial line, counts): the decoder is as one
    /// created without a device, without allocating its buffers again. A server decoding one datagram at a time reuses one decoder this way.
    public func reset() {
        statistics = DecodeStatistics()
        carry.removeAll(keepingCapacity: true)
        carryOverflowed = false
        activeDevice = nil
        active = DeviceState(device: nil)
        parked.removeAll(keepingCapacity: true)
    }

    /// Decodes a chunk of bytes.
    public func decode(_ bytes: UnsafeRawBufferPointer, emit: (Fix) -> Void) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else { return }
        var start = base
        let end = base + bytes.count
        if !carry.isEmpty || carryOverflowed {
            guard let newline = findNewline(start, end) else {
                appendCarry(start, end)
                return
            }
            appendCarry(start, newline)
            if carryOverflowed {
                carryOverflowed = false
                start = newline + 1
                return decode(UnsafeRawBufferPointer(start: start, count: end - start), emit: emit)
            }
            let line = carry
            carry.removeAll(keepingCapacity: true)
            line.withUnsafeBufferPointer { buffer in
                if let lineBase = buffer.baseAddress { decodeLine(lineBase, lineBase + buffer.count, emit) }
            }
            start = newline + 1
        }
        while start < end {
            guard let newline = findNewline(start, end) else {
                appendCarry(start, end)
                return
            }
            decodeLine(start, newline, emit)
            start = newline + 1
        }
    }

    /// Decodes bytes from any contiguous collection.
    public func decode(_ bytes: some Collection<UInt8>, emit: (Fix) -> Void) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            decode(UnsafeRawBufferPointer(buffer), emit: emit)
        }
        if handled == nil {
            Array(bytes).withUnsafeBytes { decode($0, emit: emit) }
        }
    }

    /// Decodes the unterminated last line, if any, and emits every open cycle.
    /// - Parameter complete: whether the input ended where the sender ended it (a datagram is whole). When not (a
    ///   file, a TCP stream), an unterminated last line without a checksum may have been cut mid-field (altitude
    ///   14.0 for 141.1): it is counted as `truncated`, not decoded.
    public func finish(complete: Bool = false, emit: (Fix) -> Void) {
        carryOverflowed = false
        if !carry.isEmpty {
            let line = carry
            carry.removeAll()
            // Trailing spaces and a CR are no checksum; `*` followed by two characters is one.
            var end = line.count
            while end > 0 && (line[end - 1] == UInt8(ascii: " ") || line[end - 1] == 13) { end -= 1 }
            let checksummed = end >= 3 && line[end - 3] == UInt8(ascii: "*")
            if !complete && !checksummed {
                statistics.lines += 1
                statistics.count(.truncated)
            } else {
                line.withUnsafeBufferPointer { buffer in
                    if let lineBase = buffer.baseAddress { decodeLine(lineBase, lineBase + buffer.count, emit) }
                }
            }
        }
        flushAll(emit: emit)
    }

    /// Emits every open cycle without waiting for the next one (end of a datagram burst, shutdown).
    public func flushAll(emit: (Fix) -> Void) {
        if activeDevice == nil { flush(active, emit) }
        for key in parked.keys.sorted() {
            if let state = parked[key] { flush(state, emit) }
        }
    }

    private func appendCarry(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
        guard !carryOverflowed else { return }
        if carry.count + (end - start) > Self.maximumLineLength {
            statistics.lines += 1
            statistics.count(.tooLong(length: carry.count + (end - start)))
            carry.removeAll()
            carryOverflowed = true
            return
        }
        carry.append(contentsOf: UnsafeBufferPointer(start: start, count: end - start))
    }

    @inline(__always)
    private func findNewline(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        memchr(start, 0x0A, end - start).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }
    }

    // MARK: - One line

    @inline(__always)
    private static func isPadding(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0D || byte == 0x00 || byte == 0x09
    }

    private func decodeLine(
        _ lineStart: UnsafePointer<UInt8>, _ lineEnd: UnsafePointer<UInt8>, _ emit: (Fix) -> Void
    ) {
        if lineEnd - lineStart > Self.maximumLineLength {
            statistics.lines += 1
            statistics.count(.tooLong(length: lineEnd - lineStart))
            return
        }
        var start = lineStart
        var end = lineEnd
        while start < end && Self.isPadding(start.pointee) { start += 1 }
        while end > start && Self.isPadding((end - 1).pointee) { end -= 1 }
        statistics.lines += 1
        guard start < end else { return }
        if start.pointee == UInt8(ascii: "#") {
            statistics.comments += 1  // a comment in a log file (gpsd's captures, our fixtures)
            return
        }
        if start.pointee == UInt8(ascii: "$") || start.pointee == UInt8(ascii: "!") {
            decodeSentences(from: start, to: end, emit)
            return
        }
        let line = UnsafeBufferPointer(start: start, count: end - start)
        if let dollar = firstSentenceStart(start, end) {
            decodeSentences(
                from: dollar, to: end, prefix: UnsafeBufferPointer(start: start, count: dollar - start), emit)
        } else if let id = DeviceIdentity.line(line) {
            switchDevice(to: id, emit)
        } else if !options.strict {
            // A sentence without its `$`: accepted only with a valid checksum.
            do throws(SentenceError) {
                let (frame, _) = try frameSentence(
                    from: start, to: end, hasStart: false, options: options, commaBuffer: commaBuffer)
                try handle(frame, emit)
            } catch {
                if case .checksumMismatch = error {
                    statistics.count(error)
                } else {
                    statistics.count(.noSentenceStart)
                }
            }
        } else {
            statistics.count(.noSentenceStart)
        }
    }

    @inline(__always)
    private func firstSentenceStart(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>?
    {
        var cursor = start
        while cursor < end {
            if cursor.pointee == UInt8(ascii: "$") || cursor.pointee == UInt8(ascii: "!") { return cursor }
            cursor += 1
        }
        return nil
    }

    private func decodeSentences(
        from first: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>,
        prefix: UnsafeBufferPointer<UInt8>? = nil, _ emit: (Fix) -> Void
    ) {
        var untrusted = false
        if let prefix, prefix.count > 0 {
            if let id = DeviceIdentity.prefix(prefix) {
                switchDevice(to: id, emit)
            } else {
                untrusted = true
            }
        }
        var start: UnsafePointer<UInt8>? = first
        while let sentenceStart = start {
            if end - sentenceStart >= 6 && sentenceStart[1] == UInt8(ascii: "I")
                && sentenceStart[2] == UInt8(ascii: "M")
                && sentenceStart[3] == UInt8(ascii: "E") && sentenceStart[4] == UInt8(ascii: "I")
            {
                if let id = DeviceIdentity.line(UnsafeBufferPointer(start: sentenceStart, count: end - sentenceStart)) {
                    switchDevice(to: id, emit)
                } else {
                    statistics.count(.malformedAddress)
                }
                return
            }
            do throws(SentenceError) {
                let (frame, next) = try frameSentence(
                    from: sentenceStart, to: end, hasStart: true, options: options, commaBuffer: commaBuffer)
                if untrusted && (options.strict || !frame.hadChecksum) { throw .garbageBeforeSentence }
                try handle(frame, emit)
                untrusted = false
                start = next < end ? next : nil
            } catch {
                statistics.count(error)
                untrusted = true
                var resume = sentenceStart + 1
                while resume < end && resume.pointee == UInt8(ascii: "$") { resume += 1 }  // one `$$` is one reject
                start = firstSentenceStart(resume, end)
            }
        }
    }

    @inline(__always)
    private func handle(_ frame: Frame, _ emit: (Fix) -> Void) throws(SentenceError) {
        if !frame.hadChecksum { statistics.withoutChecksum += 1 }
        let state = active
        var closed: Fix? = nil
        if !frame.isProprietary {
            // The common sentences go straight into the cycle, without the `Sentence` enum in between.
            var fields = FieldCursor(frame)
            switch frame.formatter {
            case SentenceType.gsv.formatter:
                var gsv: GSV
                if let scanned = GSVScanner.scan(frame) {
                    gsv = scanned
                } else {
                    gsv = try SentenceDecoding.decodeGSV(&fields, keepDetails: false)
                }
                statistics.sentences += 1
                state.assembler.add(gsv, talker: frame.talker)
                return
            case SentenceType.gsa.formatter:
                var gsa: GSA
                if let scanned = GSAScanner.scan(frame) {
                    gsa = scanned
                } else {
                    gsa = try SentenceDecoding.decodeGSA(&fields)
                }
                statistics.sentences += 1
                state.assembler.add(gsa, talker: frame.talker)
                return
            case SentenceType.vtg.formatter:
                let vtg = try SentenceDecoding.decodeVTG(&fields)
                statistics.sentences += 1
                state.assembler.add(vtg)
                return
            case SentenceType.rmc.formatter:
                let rmc = try SentenceDecoding.decodeRMC(&fields)
                statistics.sentences += 1
                closed = state.assembler.add(rmc)
            case SentenceType.gga.formatter:
                let gga = try SentenceDecoding.decodeGGA(&fields)
                statistics.sentences += 1
                closed = state.assembler.add(gga)
            default:
                closed = try handleOther(frame, emit)
            }
        } else if frame.addressLength == 4
            && UnsafeRawPointer(frame.addressStart).loadUnaligned(as: UInt32.self)
                == SentenceTable.pgidWord
        {
            // `$PGID,ID`, once per cycle from many trackers: compared in place, no string unless the device changes.
            var fields = FieldCursor(frame)
            let id = fields.next()
            guard !id.isEmpty, id.count <= DeviceIdentity.maximumLength else {
                throw .badField(sentence: .identity, field: 1)
            }
            statistics.sentences += 1
            if let activeDevice,
                activeDevice.utf8.elementsEqual(UnsafeBufferPointer(start: frame.addressStart + 5, count: id.count))
            {
                statistics.identities += 1
            } else {
                switchDevice(to: id.text, emit)
            }
            return
        } else {
            closed = try handleOther(frame, emit)
        }
        if let closed {
            statistics.fixes += 1
            emit(closed)
        }
    }

    /// The less frequent sentences, through the `Sentence` enum.
    private func handleOther(_ frame: Frame, _ emit: (Fix) -> Void) throws(SentenceError) -> Fix? {
        let sentence = try SentenceDecoding.decode(frame)
        statistics.sentences += 1
        switch sentence {
        case .identity(let id):
            switchDevice(to: id, emit)
        case .ignored:
            statistics.ignored += 1
        case .proprietary:
            statistics.proprietary += 1
        default:
            return active.assembler.add(sentence, talker: frame.talker)
        }
        return nil
    }

    /// Emits a device's open cycle, if it has one.
    private func flush(_ state: DeviceState, _ emit: (Fix) -> Void) {
        if let fix = state.assembler.flush() {
            statistics.fixes += 1
            emit(fix)
        }
    }

    private func switchDevice(to id: String, _ emit: (Fix) -> Void) {
        statistics.identities += 1
        guard id != activeDevice else { return }
        if activeDevice == nil { flush(active, emit) }
        if let known = parked[id] {
            active = known
        } else {
            active = DeviceState(device: id)
            parked[id] = active
        }
        activeDevice = id
    }
}
