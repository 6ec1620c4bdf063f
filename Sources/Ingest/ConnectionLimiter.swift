import Glibc
public import Logging
import Metrics
import NIOCore
import Synchronization

/// Bounds on the trackers' TCP connections. In total: at the limit the listener stops accepting (connections wait
/// in the kernel's backlog, costing no descriptor) until one closes, so descriptors never run out. Per source
/// address: a connection beyond the limit is closed at once. Every decision is counted in the metrics.
public final class ConnectionLimiter: Sendable {
    /// What became of a connection.
    public enum Admission: Sendable, Equatable {
        /// Accepted and counted open.
        case accepted
        /// Closed: its address holds the most connections allowed per source.
        case perSource
        /// Closed: the total limit was reached (one accepted before accepting could pause).
        case total
    }

    private struct State {
        var open = 0
        var perSource: [String: Int] = [:]
        var paused = false
        var listener: (any Channel)?
    }

    /// Open connections at most.
    public let maximum: Int
    /// Open connections from one address at most.
    public let maximumPerSource: Int
    private let state = Mutex(State())
    private let logger: Logger
    private let openGauge = Gauge(label: "orbita_tcp_connections")
    private let accepted = Counter(label: "orbita_tcp_connections_accepted_total")
    private let refusedPerSource = Counter(
        label: "orbita_tcp_connections_refused_total", dimensions: [("reason", "per_source")])
    private let refusedTotal = Counter(label: "orbita_tcp_connections_refused_total", dimensions: [("reason", "limit")])
    private let pauses = Counter(label: "orbita_tcp_accept_paused_total")
    private let throttles = Counter(label: "orbita_tcp_throttled_total")
    private let idleClosed = Counter(label: "orbita_tcp_connections_closed_total", dimensions: [("reason", "idle")])

    /// Creates a limiter.
    public init(maximum: Int, maximumPerSource: Int, logger: Logger) {
        self.maximum = max(1, maximum)
        self.maximumPerSource = max(1, maximumPerSource)
        self.logger = logger
    }

    /// Takes charge of the listening channel's reads: called once it is bound, before it reads.
    func manage(_ listener: any Channel) { state.withLock { $0.listener = listener } }

    /// Opens the listener to connections (unless the limit already paused it).
    func startAccepting() async {
        let listener = state.withLock { $0.paused ? nil : $0.listener }
        try? await listener?.setOption(.autoRead, value: true).get()
    }

    /// Decides on a new connection from `address` (its IP address, without port).
    public func admit(_ address: String) -> Admission {
        let (admission, pause): (Admission, (any Channel)?) = state.withLock { state in
            if state.open >= maximum { return (.total, nil) }
            if state.perSource[address, default: 0] >= maximumPerSource { return (.perSource, nil) }
            state.open += 1
            state.perSource[address, default: 0] += 1
            openGauge.record(state.open)
            guard state.open >= maximum, !state.paused else { return (.accepted, nil) }
            state.paused = true
            return (.accepted, state.listener)
        }
        switch admission {
        case .accepted: accepted.increment()
        case .perSource: refusedPerSource.increment()
        case .total: refusedTotal.increment()
        }
        if let pause {
            pauses.increment()
            logger.warning(
                "TCP connections at their limit: not accepting until one closes",
                metadata: ["limit": "\(maximum)"])
            pause.setOption(.autoRead, value: false).whenComplete { _ in }
        }
        return admission
    }

    /// Counts a connection from `address` closed; accepting resumes when it was paused at the limit.
    public func release(_ address: String) {
        let resume: (any Channel)? = state.withLock { state in
            state.open -= 1
            let left = state.perSource[address, default: 1] - 1
            state.perSource[address] = left > 0 ? left : nil
            openGauge.record(state.open)
            guard state.paused, state.open < maximum else { return nil }
            state.paused = false
            return state.listener
        }
        if let resume {
            logger.notice("TCP connections below their limit again: accepting")
            resume.setOption(.autoRead, value: true).whenComplete { _ in }
        }
    }

    /// Counts a connection that stopped reading until its fixes could be handed on (device rate, saturated queue).
    func throttled() { throttles.increment() }

    /// Counts a connection closed for sending nothing within the idle timeout.
    func closedIdle() { idleClosed.increment() }

    /// Connections open now.
    public var openConnections: Int { state.withLock { $0.open } }
}

extension ConnectionLimiter {
    /// The process's descriptor limit, after raising its soft limit to the hard one (as nginx and Go's runtime do:
    /// Debian starts processes at 1,024 soft with a far higher hard limit).
    public static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Descriptors kept for the rest of the server (database files, PROJ's database, HTTP clients, the live
    /// feed): a quarter of the limit, at least 64 and at most 4,096.
    public static func reserve(descriptors: Int) -> Int { min(4_096, max(64, descriptors / 4)) }

    /// `asked`, lowered when the descriptor limit cannot hold it beside the reserve.
    public static func fitted(_ asked: Int, descriptors: Int) -> Int {
        max(1, min(asked, descriptors - reserve(descriptors: descriptors)))
    }
}
