package import PresigndHTTP
import PresigndJWT
package import PresigndMetrics
package import PresigndSigning
import PresigndSupport
import PresigndUploads

/// `GET {prefix}/{key}`: a route group whose `CloudFrontCookieMiddleware` checks the request's
/// CloudFront signed cookies for `https://<CDN domain>/<key>` exactly as CloudFront would (so the
/// same cookies work there and here); the route keeps owner-only paths to their owner and
/// answers nginx with `X-Accel-Redirect` to its internal `/_presignd_media` location, which
/// fetches the object with a short presigned GET, caches it by key, and serves Range and
/// conditional requests. presignd never carries the bytes.
package struct MediaFlow: Sendable {
    let config: MediaConfig
    let signer: any ObjectURLSigner
    let authenticator: any Authenticator
    let cookies: CloudFrontCookieMiddleware
    let logger: Logger
    let metrics: Metrics

    /// nginx's internal location that fetches and caches the object.
    package static let internalLocation = "/_presignd_media"
    /// The header nginx's shipped configuration adds (and clears from clients) when it asks again
    /// after the store refused its fetch: the store's status.
    package static let refusedHeader = "x-presignd-media-refused"

    package init(config: MediaConfig, cdn: CDNConfig, verifier: CloudFrontVerifier, signer: any ObjectURLSigner,
                authenticator: any Authenticator, logger: Logger, metrics: Metrics = .off) {
        self.config = config
        self.signer = signer
        self.authenticator = authenticator
        self.cookies = CloudFrontCookieMiddleware(prefix: config.prefix, cdn: cdn, verifier: verifier, logger: logger)
        self.logger = logger
        self.metrics = metrics
    }

    package var routes: [Route<Endpoint>] {
        // No bearer token: the cookies are the credential (an owner-only path also reads the JWT cookie).
        let group = RouteGroup(config.prefix, access: .everyone, middleware: [cookies])
        return [group.route("GET", "/{key}", takesRest: true) { try serve($0) }]
    }

    func serve(_ context: RequestContext) throws -> HTTPResponse {
        let key = context.parameter("key")
        guard let policy = context.cookiePolicy else { preconditionFailure("the media route runs behind CloudFrontCookieMiddleware") }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for pattern in config.ownerPatterns {
            guard let owner = pattern.owner(of: segments) else { continue }
            let user: AuthenticatedUser
            do {
                user = try authenticator.authenticate(context.request, now: context.now)
            } catch {
                throw APIError(status: 403, code: .mediaForbidden, message: "only its owner may see this file; sign in")
            }
            guard UserKeySegment.make(user.id).map({ $0[...] == owner }) == true else {
                throw APIError(status: 403, code: .mediaForbidden, message: "only its owner may see this file")
            }
        }
        if let statuses = context.request.headers[MediaFlow.refusedHeader], !statuses.isEmpty {
            // nginx's fetch with the URL signed below was refused: a misconfiguration (keys,
            // permissions, clock) for the operator, which the client sees as what it is. nginx
            // sends every upstream's status so far ("200 : 403"): the store's is the last.
            let status = statuses.split { !("0"..."9").contains($0) }.last.map { String($0.prefix(3)) } ?? "?"
            metrics.count(Metrics.Families.mediaRefusals)
            logger.error("the object store refused nginx's media fetch (status \(status)): check the storage credentials, permissions and clock")
            throw StorageRefused(operation: "media GET")
        }
        let signed = try signer.presignGet(key: key, responseContentDisposition: nil, responseContentType: nil,
                                           expiresIn: config.urlExpires, now: context.now)
        let maxAge = max(0, min(config.maxAge, policy.dateLessThan - context.now - 1))
        return HTTPResponse(status: 200, headers: [
            "X-Accel-Redirect": MediaFlow.internalLocation,
            "X-Presignd-Media-URL": signed.url,
            "X-Presignd-Media-Key": key,
            "X-Presignd-Media-Cache-Control": "private, max-age=\(maxAge)",
        ])
    }
}

/// In front of the media route: the path must name a plain key, decoded once (`..`, `.`, empty
/// segments, `%`, backslashes and control characters are a 400, so no spelling reaches another
/// key), and the request's CloudFront cookies must allow that key's CDN URL (403 otherwise).
/// Leaves the key in the context's `key` parameter and the verified policy in `cookiePolicy`.
package struct CloudFrontCookieMiddleware: Middleware {
    let prefix: String
    let cdn: CDNConfig
    let verifier: CloudFrontVerifier
    let logger: Logger

    package func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        guard request.path.hasPrefix(prefix + "/") else { throw APIError.notFound("no route for \(Loggable.path(request.path))") }
        let key = try CloudFrontCookieMiddleware.objectKey(rawPath: request.path.dropFirst(prefix.utf8.count + 1))
        let url = "https://\(cdn.domain)/" + PercentEncoding.encode(key, keepSlash: true)
        switch verifier.verify(cookieHeaders: request.headers.values("Cookie"), url: url, clientAddress: request.remoteAddress, now: context.now) {
        case .success(let verified):
            context.cookiePolicy = verified
        case .failure(let refusal):
            logger.warning("media refused: \(refusal.reason)")
            throw APIError(status: 403, code: .mediaForbidden,
                           message: "the signed cookies do not allow this URL; get fresh ones with POST /api/auth/cdn-cookies")
        }
        context.parameters["key"] = key
        return next(request, &context)
    }

    /// The object key a media path names, decoded once; every spelling that could leave its
    /// own key (dot segments, encoded slashes that make them, double encoding, NUL) is a 400.
    static func objectKey(rawPath: Substring) throws(APIError) -> String {
        let refusal = APIError.badRequest(.invalidPath, "the media path must name a file by its plain key, such as /media/avatars/…/photo.png")
        guard !rawPath.isEmpty, rawPath.utf8.count <= 1024, let key = PercentEncoding.decode(String(rawPath)) else { throw refusal }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
              key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "%" && $0 != "\\" && !(0x80...0x9F).contains($0.value) })
        else { throw refusal }
        return key
    }
}
