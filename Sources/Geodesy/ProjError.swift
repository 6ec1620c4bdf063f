import CProj

/// An error from PROJ, with PROJ's error code and message, in the spirit of GRDB's `DatabaseError`.
public struct ProjError: Error, Equatable, Sendable, CustomStringConvertible {
    /// PROJ's error code (`PROJ_ERR_*`), 0 when PROJ gave none.
    public let code: Int32
    /// PROJ's message for the code, or Orbita's when PROJ gave none.
    public let message: String
    /// What Orbita was doing.
    public let operation: String

    /// Creates an error.
    public init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// Reads the last error of a PROJ context.
    init(context: OpaquePointer?, operation: String) {
        let code = proj_context_errno(context)
        let text = proj_context_errno_string(context, code).map { String(cString: $0) }
        self.init(code: code, message: text ?? "unknown PROJ error", operation: operation)
    }

    /// `operation: message (PROJ error code)`.
    public var description: String { "\(operation): \(message) (PROJ error \(code))" }
}
