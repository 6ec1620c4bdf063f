// libFuzzer harness for the NMEA framer and decoder.
//
// Fuzzing build (see Sources/NMEAFuzz/run.sh):
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -DORBITA_FUZZ \
//     --product NMEAFuzz --scratch-path .build-fuzz
// Without ORBITA_FUZZ the same executable replays files or directories given as arguments (a regression run).
import Glibc
import NMEA

/// Writes a line to standard error without touching C's `stderr` global.
func report(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

@inline(never)
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let buffer = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    if let problem = FuzzHarness.check(buffer) {
        report("NMEAFuzz: invariant violated: \(problem)")
        abort()
    }
    return 0
}

#if ORBITA_FUZZ
    /// The symbol libFuzzer's runtime requires even when the driver is started by hand.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        testOneInput(data, size)
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func llvmFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(llvmFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
#else
    var inputs = 0
    for path in CommandLine.arguments.dropFirst() {
        var paths = [path]
        if let directory = opendir(path) {
            paths = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if !name.hasPrefix(".") { paths.append(path + "/" + name) }
            }
            closedir(directory)
        }
        for file in paths.sorted() {
            guard let handle = fopen(file, "rb") else {
                report("NMEAFuzz: cannot open \(file)")
                exit(1)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = fread(&chunk, 1, chunk.count, handle)
                if count <= 0 { break }
                bytes.append(contentsOf: chunk[0..<count])
            }
            fclose(handle)
            _ = bytes.withUnsafeBufferPointer { testOneInput($0.baseAddress, $0.count) }
            inputs += 1
        }
    }
    print("NMEAFuzz: replayed \(inputs) inputs, no invariant violated")
#endif
