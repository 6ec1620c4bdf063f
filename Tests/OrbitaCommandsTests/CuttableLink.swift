import Foundation
import Glibc

/// A TCP relay on loopback between a node and PostgreSQL whose link can be cut, as a network cut looks to both
/// ends: while cut, the bytes of every connection (and of connections made meanwhile) are dropped in both directions
/// — nothing is refused or reset, calls just get no answer. Restoring closes the connections that lived through the
/// cut (the server ended them meanwhile) and relays new ones again.
final class CuttableLink: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`; the relay threads own their descriptors.
    /// The port to connect to instead of the server's.
    let port: Int
    private let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var severed = false
    private var closed = false
    private var open: [Int32] = []

    /// Listens on an ephemeral loopback port, relaying to 127.0.0.1:`target`.
    init(to target: Int) {
        self.target = target
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        Glibc.listen(listener, 64)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
        self.listener = listener
        let acceptor = Thread { [self] in accept() }
        acceptor.start()
    }

    /// `url` with its port replaced by the relay's.
    func relaying(_ url: String) -> String {
        url.replacing(/:[0-9]+\//, with: ":\(port)/")
    }

    /// Cuts the link: from now on nothing passes.
    func sever() { lock.withLock { severed = true } }

    /// Restores the link: the connections that lived through the cut are closed, new ones pass.
    func restore() {
        let stale = lock.withLock {
            severed = false
            defer { open = [] }
            return open
        }
        for descriptor in stale { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    /// Stops relaying.
    func close() {
        lock.withLock { closed = true }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        restore()
    }

    private var isSevered: Bool { lock.withLock { severed } }

    private func accept() {
        while true {
            let client = Glibc.accept(listener, nil, nil)
            if client < 0 { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: target)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let refused = lock.withLock {
                if closed || connected != 0 { return true }
                open += [client, server]
                return false
            }
            if refused {
                Glibc.close(client)
                Glibc.close(server)
                continue
            }
            let done = DispatchGroup()
            for (from, to) in [(client, server), (server, client)] {
                done.enter()
                Thread { [self] in
                    relay(from: from, to: to)
                    done.leave()
                }.start()
            }
            done.notify(queue: .global()) { [self] in
                // Out of `open` before closing: a descriptor number is reused by the next connection.
                lock.withLock { open.removeAll { $0 == client || $0 == server } }
                Glibc.close(client)
                Glibc.close(server)
            }
        }
    }

    /// Copies `from` to `to` until either end closes; drops what arrives while the link is cut.
    private func relay(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(from, &buffer, buffer.count)
            if count <= 0 { break }
            if isSevered { continue }
            var written = 0
            while written < count {
                let result = buffer[written..<count].withUnsafeBytes { write(to, $0.baseAddress, $0.count) }
                if result <= 0 { break }
                written += result
            }
            if written < count { break }
        }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
