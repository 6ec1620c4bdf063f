import Glibc

/// A copy of an array in memory advised to the kernel as transparent huge pages (`MADV_HUGEPAGE`, honoured when
/// `/sys/kernel/mm/transparent_hugepage/enabled` is `madvise` or `always`). A large index read at random then costs
/// far fewer TLB misses. Small arrays are returned as they are.
func hugePageCopy<T>(_ source: [T]) -> [T] {
    let bytes = source.count * MemoryLayout<T>.stride
    guard bytes >= 8 << 20 else { return source }
    return [T](unsafeUninitializedCapacity: source.count) { buffer, initialized in
        if let base = buffer.baseAddress {
            let huge: UInt = 2 << 20
            let start = (UInt(bitPattern: base) + huge - 1) & ~(huge - 1)
            let end = (UInt(bitPattern: base) + UInt(bytes)) & ~(huge - 1)
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_HUGEPAGE) }
            _ = source.withUnsafeBufferPointer { buffer.initialize(from: $0) }
        }
        initialized = source.count
    }
}
