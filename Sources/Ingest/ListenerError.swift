import Glibc
import NIOCore

/// A listener that was asked for and could not be brought up: which one, where, and why, in one line.
public struct ListenerError: Error, CustomStringConvertible, Sendable {
    /// What listens there: `UDP`, `TCP` or `HTTP`.
    public var listener: String
    /// The address asked for.
    public var address: HostPort
    /// The cause in words (`address already in use`, `permission denied`, `cannot resolve host "x"` …).
    public var cause: String

    /// Creates an error.
    public init(listener: String, address: HostPort, cause: String) {
        self.listener = listener
        self.address = address
        self.cause = cause
    }

    /// Creates an error from what the socket layer threw while binding.
    public init(listener: String, address: HostPort, error: any Error) {
        self.init(listener: listener, address: address, cause: Self.cause(of: error))
    }

    /// `cannot listen for HTTP on 127.0.0.1:8080: address already in use`.
    public var description: String { "cannot listen for \(listener) on \(address): \(cause)" }

    /// The cause of a bind failure in words: the system's message for an errno (lower case, as in a sentence),
    /// what NIO says about an address it cannot resolve, or the error's own description.
    public static func cause(of error: any Error) -> String {
        if let error = error as? IOError {
            guard let message = strerror(error.errnoCode) else { return "error \(error.errnoCode)" }
            let text = String(cString: message)
            return text.prefix(1).lowercased() + text.dropFirst()
        }
        if let error = error as? SocketAddressError.UnknownHost {
            return "cannot resolve host \"\(error.host)\" (\(error.errorDescription.lowercased()))"
        }
        if let error = error as? SocketAddressError {
            switch error {
            case .unknown(let host, _): return "cannot resolve host \"\(host)\""
            case .unsupported: return "unsupported address family"
            case .unixDomainSocketPathTooLong: return "socket path too long"
            case .failedToParseIPString(let text): return "not an IP address: \"\(text)\""
            }
        }
        return "\(error)"
    }
}
