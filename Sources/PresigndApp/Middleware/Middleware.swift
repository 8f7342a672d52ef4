import PresigndCore

/// One cross-cutting step around the routes, the synchronous form of Hummingbird's middleware:
/// it may answer by itself, change the request, or change the answer `next` gives. Errors it
/// throws become the project's error shape like a handler's.
public protocol Middleware: Sendable {
    func handle(_ request: HTTPRequest, next: (HTTPRequest) -> HTTPResponse) throws -> HTTPResponse
}
