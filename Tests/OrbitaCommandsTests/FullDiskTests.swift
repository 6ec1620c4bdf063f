import Foundation
import Glibc
import Storage
import Testing

/// A small tmpfs mounted for one test: a real file system that runs out of space.
struct SmallFileSystem {
    let path: String

    /// Whether this process may mount one (root with CAP_SYS_ADMIN); checked once.
    static let available: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-mount-probe-\(getpid())")
        guard let system = try? SmallFileSystem(at: probe.path, megabytes: 1) else { return false }
        system.unmount()
        return true
    }()

    struct MountFailed: Error {}

    init(at path: String, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]) == 0 else {
            throw MountFailed()
        }
    }

    func unmount() { _ = Self.run("/bin/umount", ["-l", path]) }

    /// Fills the free space with a ballast file; returns its path.
    func fill() -> String {
        let ballast = path + "/ballast"
        let descriptor = open(ballast, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0, count: 4_096)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        return ballast
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("orbita serve on a full disk", .serialized)
struct FullDiskTests {
    @Test(
        .enabled(
            if: SmallFileSystem.available,
            "mounting a small tmpfs needs root with CAP_SYS_ADMIN; not available here"))
    func aFullDiskIsReportedHoldsTheFixesAndCommitsThemWhenSpaceReturns() throws {
        let folder = ImportCommandTests.folder()
        let disk = try SmallFileSystem(at: folder.appendingPathComponent("disk").path, megabytes: 8)
        defer { disk.unmount() }
        let db = disk.path + "/full.sqlite"
        let route = try ServeCommandTests.zones(folder, db: db)
        let server = try LiveServer(db: db, ["--register-unknown"])
        let ballast = disk.fill()
        let sent = folder.appendingPathComponent("sent.nmea").path
        let simulate = try OrbitaProcess.run([
            "simulate", "--to", "udp://\(server.udp)", "--vehicles", "6", "--rate", "5", "--duration", "4",
            "--geojson", route.path, "--prefix", "DISK", "--log", sent, "--quiet",
        ])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        // The disk is full: commits fail, are counted and reported, and the fixes wait in memory.
        var errors = 0.0
        for _ in 0..<50 where errors == 0 {
            errors = server.metric("orbita_store_errors_total")
            if errors == 0 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(errors > 0)
        let degraded = server.get("/health")
        #expect(degraded.status == 503, "\(degraded.body)")
        #expect(degraded.body.contains("full"), "\(degraded.body)")
        let storedWhileFull = server.metric("orbita_fixes_stored_total")
        #expect(storedWhileFull < 120, "most of the 120 fixes must wait for space, \(storedWhileFull) stored")

        // Space returns: the held fixes are committed, health recovers.
        try FileManager.default.removeItem(atPath: ballast)
        var stored = 0.0
        for _ in 0..<100 where stored < 120 {
            Thread.sleep(forTimeInterval: 0.1)
            stored = server.metric("orbita_fixes_stored_total")
        }
        guard stored >= 120 else {
            Issue.record("only \(stored) of 120 fixes committed after space returned")
            _ = server.stop(SIGKILL)  // a drain would wait for the disk
            return
        }
        #expect(server.get("/health").status == 200)
        #expect(server.stop(SIGTERM) == 0)
        #expect(server.log.contains("commit failed"))

        let store = try SQLiteTrackStore(path: db)
        #expect(try store.integrityCheck() == ["ok"])
        let check = folder.appendingPathComponent("check.sqlite").path
        _ = try OrbitaProcess.run(["import", sent, "--db", check, "--quiet"])
        let expected = try ServeCommandTests.fixes(check)
        #expect(expected.values.map(\.count).reduce(0, +) == 120)
        #expect(try ServeCommandTests.fixes(db) == expected)
    }
}
