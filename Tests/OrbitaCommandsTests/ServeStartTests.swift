import Foundation
import Glibc
import Testing

/// A socket of this (test) process bound to a free loopback port, holding it against `orbita serve`.
struct HeldPort {
    let socket: Int32
    let port: Int

    /// Binds a TCP listener (`stream`) or a UDP socket on 127.0.0.1 to a port the system picks.
    init(stream: Bool) {
        let socket = Glibc.socket(AF_INET, Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        if stream { listen(socket, 16) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() { close(socket) }
}

@Suite("orbita serve: every listener asked for comes up, or the server does not start (issue 13)", .serialized)
struct ServeStartTests {
    /// A port held by another process for one listener: exit 1, one line naming the listener, its address and
    /// the cause, and no ready line (nothing was accepted).
    @Test(arguments: ["http", "udp", "tcp"])
    func aListenerThatCannotBindStopsTheServerBeforeItAcceptsData(listener: String) throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("held.sqlite").path
        let held = HeldPort(stream: listener != "udp")
        defer { held.release() }
        var addresses = ["http": "127.0.0.1:0", "udp": "127.0.0.1:0", "tcp": "127.0.0.1:0"]
        addresses[listener] = "127.0.0.1:\(held.port)"
        let result = try OrbitaProcess.run(
            [
                "serve", "--db", db, "--udp", addresses["udp"] ?? "", "--tcp", addresses["tcp"] ?? "", "--http",
                addresses["http"] ?? "", "--log-level", "error",
            ], timeout: 30)
        #expect(result.status == 1)
        #expect(!result.stdout.contains("ready"), "\(result.stdout)")
        let expected = "orbita serve: cannot listen for \(listener.uppercased()) on 127.0.0.1:\(held.port): "
        #expect(result.stderr.contains(expected + "address already in use"), "\(result.stderr)")
    }

    @Test func anAddressThatDoesNotResolveIsNamedWithItsCause() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("resolve.sqlite").path
        let result = try OrbitaProcess.run(
            [
                "serve", "--db", db, "--udp", "off", "--tcp", "127.0.0.1:0", "--http", "no-such-host.invalid:0",
                "--log-level", "error",
            ], timeout: 30)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("cannot listen for HTTP on no-such-host.invalid:0: cannot resolve host"),
            "\(result.stderr)")
    }

    /// Consecutive starts on fresh databases and free ports: every one prints all three addresses and answers
    /// /health (before the fix, some came up without HTTP after a 5 s wait). `Benchmarks/start-loop.sh` does the
    /// same with a release build and reports start-up times.
    @Test func consecutiveStartsAllAnswerHealth() throws {
        let folder = ImportCommandTests.folder()
        for start in 0..<200 {
            let server = try LiveServer(db: folder.appendingPathComponent("start\(start).sqlite").path)
            #expect(!server.udp.isEmpty && !server.tcp.isEmpty && !server.http.isEmpty, "start \(start)")
            #expect(server.get("/health").status == 200, "start \(start)")
            #expect(server.stop(SIGTERM) == 0, "start \(start): \(server.log)")
        }
    }
}
