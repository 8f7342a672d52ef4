package import PresigndHTTP
import PresigndSigning
import PresigndUploads

/// The rest of the chain after a middleware: the next middleware, or in the end the route.
package typealias Next = (HTTPRequest, inout RequestContext) -> HTTPResponse

/// One cross-cutting step around the routes, the synchronous form of Hummingbird's middleware:
/// it may answer by itself, change the request or the context, or change the answer `next`
/// gives. Errors it throws become the project's error shape like a handler's, right where they
/// are thrown, so the middleware outside it sees every answer.
package protocol Middleware: Sendable {
    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse
}

/// Runs `request` through `chain` and then `last`; every thrown error becomes its response at
/// the step that threw (with `render` when the route renders its own errors).
struct MiddlewareChain {
    let logger: Logger

    func run(_ request: HTTPRequest, _ context: inout RequestContext, through chain: ArraySlice<any Middleware>,
             render: ((APIError, String?) -> HTTPResponse)? = nil,
             then last: (HTTPRequest, inout RequestContext) throws -> HTTPResponse) -> HTTPResponse {
        do {
            guard let first = chain.first else { return try last(request, &context) }
            return try first.handle(request, context: &context) { request, context in
                run(request, &context, through: chain.dropFirst(), render: render, then: last)
            }
        } catch let error as any APIErrorConvertible {
            return context.respond(to: error.apiError, render: render)
        } catch {
            // Only the error's type is logged: its text may quote input or secrets.
            logger.error("unhandled \(type(of: error)) on \(Loggable.method(request.method)) \(Loggable.path(request.path))")
            return context.respond(to: .internalError(), render: render)
        }
    }
}
