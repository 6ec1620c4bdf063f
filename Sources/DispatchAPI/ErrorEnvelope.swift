public import Hummingbird
import Logging

/// Renders every error a route throws in the API's one error shape, `{"error": "message"}` with the status (and
/// headers such as `Retry-After`) of the error; Hummingbird's own shape (`{"error": {"message": …}}`) never reaches
/// a client. Errors that are not HTTP errors are a 500 with a generic message (the details go to the log).
public struct ErrorEnvelope<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Hands the request on; renders what it throws.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            var response = DispatchRoutes.error(error.status, error.body ?? "\(error.status.reasonPhrase)")
            for field in error.headers { response.headers.append(field) }
            return response
        } catch let error as any HTTPResponseError {
            // Hummingbird's own errors (a body over the limit: 413).
            return DispatchRoutes.error(error.status, error.status.reasonPhrase.lowercased())
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return DispatchRoutes.error(.internalServerError, "internal error")
        }
    }
}
