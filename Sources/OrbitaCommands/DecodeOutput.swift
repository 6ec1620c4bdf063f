import Dispatch
import Glibc
import OrbitaModel
import OrbitaWire

/// `orbita decode`'s output: fixes are collected in batches on the decoding thread and written as TPV lines by a
/// second thread, so writing JSON (as costly as decoding) overlaps the decoding instead of following it. At most
/// `inFlight` batches wait (memory stays bounded); order is kept (one serial writer).
final class DecodeOutput {
    private let writer = DispatchQueue(label: "orbita.decode.output")
    private let slots: DispatchSemaphore
    private var batch: [Fix] = []
    private let batchSize: Int
    private let fd: Int32

    /// An output to `fd` (1: standard output).
    init(fd: Int32 = 1, batchSize: Int = 2_048, inFlight: Int = 4) {
        self.fd = fd
        self.batchSize = batchSize
        slots = DispatchSemaphore(value: inFlight)
        batch.reserveCapacity(batchSize)
    }

    /// Adds a fix; a full batch goes to the writer.
    func add(_ fix: Fix) {
        batch.append(fix)
        if batch.count >= batchSize { hand() }
    }

    /// Writes everything added so far and waits until it is written.
    func finish() {
        if !batch.isEmpty { hand() }
        writer.sync {}
    }

    private func hand() {
        let fixes = batch
        batch.removeAll(keepingCapacity: true)
        slots.wait()
        let fd = fd
        let slots = slots
        writer.async {
            var json = JSONWriter(capacity: fixes.count * 400)
            for fix in fixes {
                TPV.write(fix, to: &json)
                json.bytes.append(UInt8(ascii: "\n"))
                json.clearSeparator()
            }
            Self.write(json.bytes, to: fd)
            slots.signal()
        }
    }

    /// Writes all of `bytes` (retrying short writes and EINTR); stops at an error such as a closed pipe.
    private static func write(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
