public import Hummingbird
public import OrbitaModel

/// Lets a request through when its token (set by `BearerAuth`) holds at least `role`: 401 without a token, 403 with
/// one whose role is lower. Added to each controller's route groups, so a route's role is where the route is.
public struct RequireRole: RouterMiddleware {
    /// The context it reads the role from.
    public typealias Context = DispatchContext
    /// The least role the group's routes need.
    public let role: AccessRole

    /// A check for `role`.
    public init(_ role: AccessRole) { self.role = role }

    /// Passes the request on, or refuses it.
    public func handle(
        _ request: Request, context: DispatchContext, next: (Request, DispatchContext) async throws -> Response
    ) async throws -> Response {
        try Self.check(role, context)
        return try await next(request, context)
    }

    /// Throws the 401 or 403 a context without `role` gets.
    static func check(_ role: AccessRole, _ context: DispatchContext) throws {
        guard let held = context.role else { throw HTTPError(.unauthorized, message: "a bearer token is required") }
        guard held >= role else { throw HTTPError(.forbidden, message: "this needs the \(role.rawValue) role") }
    }
}

extension RouteCollection where Context == DispatchContext {
    /// A group of this collection whose routes need `role`.
    func needing(_ role: AccessRole) -> RouterGroup<DispatchContext> { group().add(middleware: RequireRole(role)) }
}
