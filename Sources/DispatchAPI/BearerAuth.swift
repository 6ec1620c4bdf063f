import Foundation
public import Hummingbird
import OrbitaModel

/// Checks `Authorization: Bearer <secret>` against the stored tokens: no token, an unknown one or a revoked one is 401
/// (with `WWW-Authenticate: Bearer`); otherwise the token's role goes into the context for the routes to check.
public struct BearerAuth: RouterMiddleware {
    /// The context the middleware fills in.
    public typealias Context = DispatchContext
    let store: DispatchStore

    /// Authenticates against `store`'s tokens.
    public init(store: DispatchStore) { self.store = store }

    /// Checks the token, then hands the request on with the role in its context.
    public func handle(
        _ request: Request, context: DispatchContext,
        next: (Request, DispatchContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            return Self.unauthorized("a bearer token is required (orbita token create)")
        }
        let secret = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        let hash = TokenSecret.sha256(secret)
        guard secret.count <= 200, let token = try await store.use({ try $0.token(secretSHA256: hash) }) else {
            return Self.unauthorized("unknown token")
        }
        guard token.revoked == nil else { return Self.unauthorized("revoked token") }
        var context = context
        context.role = token.role
        context.tokenName = token.name
        context.tokenHash = hash
        return try await next(request, context)
    }

    static func unauthorized(_ reason: String) -> Response {
        var response = DispatchRoutes.error(.unauthorized, reason)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"orbita\""
        return response
    }
}
