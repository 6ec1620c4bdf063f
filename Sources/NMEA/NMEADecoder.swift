import Glibc
public import OrbitaModel

/// Turns a stream of NMEA bytes (a log file, a TCP connection, datagrams) into fixes.
///
/// Feed it chunks in order with `decode(_:emit:)`; a line split across chunks is joined. Call `finish(emit:)`
/// at the end to emit the cycles still open. Device identities in the stream (see `DeviceIdentity`) switch the
/// device the following sentences belong to; each device has its own cycle and date. Bad input is counted in
/// `statistics`, never thrown.
public struct NMEADecoder {
    /// The framing policy.
    public let options: DecoderOptions
    /// Counts so far.
    public private(set) var statistics = DecodeStatistics()

    private var carry: [UInt8] = []
    private var carryOverflowed = false
    private var active: EpochAssembler
    private var activeDevice: String?
    private var parked: [String: EpochAssembler] = [:]

    /// The longest line kept while waiting for its end; longer lines are counted as too long.
    public static let maximumLineLength = 4096

    /// Creates a decoder.
    /// - Parameters:
    ///   - options: the framing policy.
    ///   - device: the device the data belongs to until the stream names one (e.g. `--vehicle`).
    public init(options: DecoderOptions = .lenient, device: String? = nil) {
        self.options = options
        self.activeDevice = device
        self.active = EpochAssembler(device: device)
    }

    /// The device the next sentence will be attributed to.
    public var currentDevice: String? { activeDevice }

    /// Decodes a chunk of bytes.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, emit: (Fix) -> Void) {
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
    public mutating func decode(_ bytes: some Collection<UInt8>, emit: (Fix) -> Void) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            decode(UnsafeRawBufferPointer(buffer), emit: emit)
        }
        if handled == nil {
            Array(bytes).withUnsafeBytes { decode($0, emit: emit) }
        }
    }

    /// Decodes the unterminated last line, if any, and emits every open cycle.
    public mutating func finish(emit: (Fix) -> Void) {
        carryOverflowed = false
        if !carry.isEmpty {
            let line = carry
            carry.removeAll()
            line.withUnsafeBufferPointer { buffer in
                if let lineBase = buffer.baseAddress { decodeLine(lineBase, lineBase + buffer.count, emit) }
            }
        }
        flushAll(emit: emit)
    }

    /// Emits every open cycle without waiting for the next one (end of a datagram burst, shutdown).
    public mutating func flushAll(emit: (Fix) -> Void) {
        var emitted = 0
        active.flush { fix in
            emitted += 1
            emit(fix)
        }
        for key in parked.keys.sorted() {
            parked[key]?.flush { fix in
                emitted += 1
                emit(fix)
            }
        }
        statistics.fixes += emitted
    }

    private mutating func appendCarry(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
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

    private mutating func decodeLine(
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
                let (frame, _) = try frameSentence(from: start, to: end, hasStart: false, options: options)
                try handle(frame, emit)
            } catch {
                statistics.count(error == .missingChecksum ? .noSentenceStart : error)
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

    private mutating func decodeSentences(
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
                let (frame, next) = try frameSentence(from: sentenceStart, to: end, hasStart: true, options: options)
                if untrusted && (options.strict || !frame.hadChecksum) { throw .garbageBeforeSentence }
                try handle(frame, emit)
                untrusted = false
                start = next < end ? next : nil
            } catch {
                statistics.count(error)
                untrusted = true
                start = firstSentenceStart(sentenceStart + 1, end)
            }
        }
    }

    @inline(__always)
    private mutating func handle(_ frame: Frame, _ emit: (Fix) -> Void) throws(SentenceError) {
        let sentence = try SentenceDecoding.decode(frame)
        statistics.sentences += 1
        if !frame.hadChecksum { statistics.withoutChecksum += 1 }
        switch sentence {
        case .identity(let id):
            switchDevice(to: id, emit)
        case .ignored:
            statistics.ignored += 1
        case .proprietary:
            statistics.proprietary += 1
        default:
            var emitted = 0
            active.add(sentence, talker: frame.talker) { fix in
                emitted += 1
                emit(fix)
            }
            statistics.fixes += emitted
        }
    }

    private mutating func switchDevice(to id: String, _ emit: (Fix) -> Void) {
        statistics.identities += 1
        guard id != activeDevice else { return }
        if let activeDevice {
            parked[activeDevice] = active
        } else {
            var emitted = 0
            active.flush { fix in
                emitted += 1
                emit(fix)
            }
            statistics.fixes += emitted
        }
        active = parked.removeValue(forKey: id) ?? EpochAssembler(device: id)
        activeDevice = id
    }
}
