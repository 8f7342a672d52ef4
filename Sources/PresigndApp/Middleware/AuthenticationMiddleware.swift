import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport

/// Establishes the user of a route that needs one (`access: .user`) and puts it in the context;
/// refusals are counted by reason. A route that changes state, whatever its method, is refused
/// to ambient credentials (the cookie) without the header only a page's own script can add.
struct AuthenticationMiddleware: Middleware {
    let authenticator: any Authenticator
    let changesState: Bool
    let metrics: Metrics

    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        do {
            context.user = try authenticator.authenticate(request, now: context.now, changesState: changesState)
        } catch {
            metrics.count(Metrics.Families.jwtRefusals, [("reason", BearerError.reason(of: error))])
            throw error
        }
        return LogContext.$current.withValue(context.logContext) { next(request, &context) }
    }
}

/// Refuses (403 `insufficient_scope`) a user whose token lacks a scope the route group requires.
struct ScopeMiddleware: Middleware {
    let group: String
    let scopes: ScopeRequirements

    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        if let user = context.user { try scopes.authorize(user, group: group) }
        return next(request, &context)
    }
}
