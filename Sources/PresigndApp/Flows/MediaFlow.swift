package import PresigndHTTP
import PresigndJWT
package import PresigndMetrics
package import PresigndSigning
import PresigndSupport
package import PresigndUploads

/// `GET {prefix}/{key}[?size=<preset>]`: a route group whose `CloudFrontCookieMiddleware` checks
/// the request's CloudFront signed cookies for `https://<CDN domain>/<key>` exactly as CloudFront
/// would (so the same cookies work there and here), and the media session cookie beside them
/// against the user's revocation; the route keeps owner-only paths to their owner. presignd never
/// carries the bytes. nginx asks in three ways, told apart by a header only nginx sets:
///
/// - **decide** (`X-Presignd-Media-Decide`, nginx's `auth_request`, whose answer nginx caches for
///   at most half a second): 204 with the GET nginx fetches the object with (signed in headers:
///   its URL holds no signature for a log line to show), the cache key, the variant (`original` or a preset's `/resize/W/H`, `/crop/W/H`) and the browser's
///   cache time; any refusal is an error status, and nginx then asks again plainly for its body.
/// - **check** (`X-Presignd-Media-Check: image`, before nginx's image filter decodes an image for
///   a preset): 204 when the object is a PNG, JPEG, GIF or WebP within the byte and pixel limits,
///   otherwise 403 naming the 404, 413 or 415 nginx answers (it reads the object's size and
///   first bytes from the store).
/// - **plainly**: the refusal's JSON error; when allowed, `X-Accel-Redirect` to
///   `/_presignd_media` with the same headers (the configuration before the decision cache).
package struct MediaFlow: Sendable {
    let config: MediaConfig
    let signer: any ObjectURLSigner
    let objects: any ObjectStore
    let authenticator: any Authenticator
    let cookies: CloudFrontCookieMiddleware
    let logger: Logger
    let metrics: Metrics

    /// nginx's internal location that fetches and caches the object.
    package static let internalLocation = "/_presignd_media"
    /// The header nginx's shipped configuration adds (and clears from clients) when it asks again
    /// after the store refused its fetch: the store's status.
    package static let refusedHeader = "x-presignd-media-refused"
    /// Set (and cleared from clients) by nginx's decision subrequest.
    package static let decideHeader = "x-presignd-media-decide"
    /// Set (and cleared from clients) by nginx's image server before it filters an image: `image`.
    package static let checkHeader = "x-presignd-media-check"

    package init(config: MediaConfig, cdn: CDNConfig, verifier: CloudFrontVerifier, session: MediaSessionCookie,
                revocations: any Revocations, signer: any ObjectURLSigner, objects: any ObjectStore,
                authenticator: any Authenticator, logger: Logger, metrics: Metrics = .off) {
        self.config = config
        self.signer = signer
        self.objects = objects
        self.authenticator = authenticator
        self.cookies = CloudFrontCookieMiddleware(prefix: config.prefix, cdn: cdn, verifier: verifier, session: session,
                                                  revocations: revocations, logger: logger, metrics: metrics)
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
        // nginx's image server checks only for a size: its request names the object alone.
        if MediaFlow.isSet(MediaFlow.checkHeader, in: context.request) { return try checkImage(key: key) }
        let preset = try self.preset(context.request)
        guard let policy = context.cookiePolicy else { preconditionFailure("the media route runs behind CloudFrontCookieMiddleware") }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for pattern in config.ownerPatterns {
            guard let owner = pattern.owner(of: segments) else { continue }
            let user: AuthenticatedUser
            do {
                user = try authenticator.authenticate(context.request, now: context.now)
            } catch {
                metrics.count(Metrics.Families.mediaDenials, [("reason", "owner")])
                throw APIError(status: 403, code: .mediaForbidden, message: "only its owner may see this file; sign in")
            }
            guard UserKeySegment.make(user.id).map({ $0[...] == owner }) == true else {
                metrics.count(Metrics.Families.mediaDenials, [("reason", "owner")])
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
        let maxAge = max(0, min(config.maxAge, policy.dateLessThan - context.now - 1))
        let variant = preset?.variant ?? "original"
        var headers: HTTPHeaders = [
            // The variant first: it has no space, so no key can make another variant's cache key.
            "X-Presignd-Media-Key": variant + " " + key,
            "X-Presignd-Media-Variant": variant,
            "X-Presignd-Media-Cache-Control": "private, max-age=\(maxAge)",
        ]
        guard MediaFlow.isSet(MediaFlow.decideHeader, in: context.request) else {
            // Asked plainly and allowed: the configuration before the decision cache fetched in
            // its internal location with a presigned GET.
            let signed = try signer.presignGet(key: key, responseContentDisposition: nil, responseContentType: nil,
                                               expiresIn: config.urlExpires, now: context.now)
            headers.add("X-Presignd-Media-URL", signed.url)
            headers.add("X-Accel-Redirect", MediaFlow.internalLocation)
            return HTTPResponse(status: 200, headers: headers)
        }
        // nginx's image server fetches the object with these: the URL holds no signature.
        let signed = try signer.signGet(key: key, now: context.now)
        headers.add("X-Presignd-Media-URL", signed.url)
        for (name, value) in signed.headers {
            switch name.lowercased() {
            case "authorization": headers.add("X-Presignd-Media-Authorization", value)
            case "x-amz-date": headers.add("X-Presignd-Media-Date", value)
            case "x-amz-security-token": headers.add("X-Presignd-Media-Token", value)
            default: break  // X-Amz-Content-SHA256 is UNSIGNED-PAYLOAD, which nginx sends itself
            }
        }
        // nginx keeps a decision for the rest of its half-second slot; not one about cookies
        // that expire within the next second.
        if policy.dateLessThan - context.now <= 1 { headers.add("X-Accel-Expires", "0") }
        return HTTPResponse(status: 204, headers: headers)
    }

    /// The preset `?size=` names, nil without one; a name that is not configured is a 404.
    func preset(_ request: HTTPRequest) throws(APIError) -> MediaConfig.Preset? {
        guard let name = request.queryValue("size") else { return nil }
        guard let preset = config.presets[name] else {
            metrics.count(Metrics.Families.mediaDenials, [("reason", "image")])
            let known = config.presets.keys.sorted()
            throw APIError.notFound(known.isEmpty ? "this server makes no image sizes; ask without ?size="
                                                  : "no image size by that name; the sizes are \(known.joined(separator: ", "))")
        }
        return preset
    }

    /// The check before a preset is made: the object must be an image nginx can filter, within
    /// the configured bytes and pixels (its dimensions read from its first bytes, never decoded).
    /// nginx asks with `auth_request`, which passes only 2xx and 401/403: a refusal is a 403
    /// naming the status nginx answers (`X-Presignd-Media-Refusal`: 404, 413 or 415) and the
    /// message (`X-Presignd-Media-Refusal-Message`, printable ASCII without quotes, so nginx
    /// can put it in its JSON answer as it is).
    func checkImage(key: String) throws -> HTTPResponse {
        func refuse(_ status: Int, _ message: String) -> HTTPResponse {
            if status != 404 { metrics.count(Metrics.Families.mediaDenials, [("reason", "image")]) }
            return HTTPResponse(status: 403, headers: ["X-Presignd-Media-Refusal": String(status),
                                                       "X-Presignd-Media-Refusal-Message": message])
        }
        guard let head = try objects.head(key: key) else { return refuse(404, "no such file") }
        guard head.size <= config.imageMaxBytes else {
            return refuse(413, "the image is \(head.size) bytes; sizes are made from images of at most \(config.imageMaxBytes) bytes")
        }
        let bytes = try objects.firstBytes(key: key, count: ImageHeader.readLength) ?? []
        switch ImageHeader.read(bytes) {
        case .success(let image) where image.pixels > config.imageMaxPixels:
            return refuse(413, "the image is \(image.width) x \(image.height) pixels; sizes are made from images of at most \(config.imageMaxPixels) pixels")
        case .success:
            return HTTPResponse(status: 204)
        case .failure(.notAnImage):
            return refuse(415, "the file is not a PNG, JPEG, GIF or WebP image; only images have sizes: ask without ?size=")
        case .failure(.unreadable(let format)):
            return refuse(415, "the \(format.rawValue.uppercased()) image's dimensions cannot be read (damaged, or its header is beyond the first \(ImageHeader.readLength / 1024) KiB); ask without ?size=")
        }
    }

    /// Whether nginx set `name` (its configuration sends the client's own as empty).
    static func isSet(_ name: String, in request: HTTPRequest) -> Bool {
        !(request.headers[name] ?? "").isEmpty
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
    let session: MediaSessionCookie
    let revocations: any Revocations
    let logger: Logger
    let metrics: Metrics

    package func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        guard request.path.hasPrefix(prefix + "/") else { throw APIError.notFound("no route for \(Loggable.path(request.path))") }
        let key = try CloudFrontCookieMiddleware.objectKey(rawPath: request.path.dropFirst(prefix.utf8.count + 1))
        context.parameters["key"] = key
        // nginx's image server checks an image it already has an answer for: no cookies come.
        if MediaFlow.isSet(MediaFlow.checkHeader, in: request) { return next(request, &context) }
        let url = "https://\(cdn.domain)/" + PercentEncoding.encode(key, keepSlash: true)
        let cookies = request.headers.values("Cookie")
        switch verifier.verify(cookieHeaders: cookies, url: url, clientAddress: request.remoteAddress, now: context.now) {
        case .success(let verified):
            try checkSession(cookies, keyPairID: verified.keyPairID, now: context.now)
            context.cookiePolicy = verified
        case .failure(let refusal):
            try refuse("cookies", refusal.reason, "the signed cookies do not allow this URL; get fresh ones with POST /api/auth/cdn-cookies")
        }
        return next(request, &context)
    }

    /// The revocations: cookies signed with a retired key, and CloudFront cookies without the
    /// media session cookie of a user, or issued to that user before their cutoff, are refused.
    func checkSession(_ cookies: [String], keyPairID: String, now: UnixSeconds) throws(APIError) {
        if revocations.isRetired(cdnKey: keyPairID) {
            try refuse("key_retired", "the key that signed the cookies is retired",
                       "the key that signed these cookies was retired; get fresh ones with POST /api/auth/cdn-cookies")
        }
        let values = BearerToken.cookieValues(cookies, named: MediaSessionCookie.name)
        guard values.count == 1, let user = session.verify(values[0], now: now) else {
            try refuse("session", values.count > 1 ? "two media session cookies" : "no valid media session cookie",
                       "the media session cookie is missing or invalid; get fresh cookies with POST /api/auth/cdn-cookies")
        }
        if revocations.revokes(user: user.user, issuedAt: user.issuedAt) {
            try refuse("revoked", "the user's access was revoked after these cookies were issued",
                       "access was revoked after these cookies were issued; sign in again")
        }
    }

    func refuse(_ reason: String, _ logged: String, _ message: String) throws(APIError) -> Never {
        metrics.count(Metrics.Families.mediaDenials, [("reason", reason)])
        logger.warning("media refused: \(logged)")
        throw APIError(status: 403, code: .mediaForbidden, message: message)
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
