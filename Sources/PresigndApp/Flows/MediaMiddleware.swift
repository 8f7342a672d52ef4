import PresigndCore

/// `GET {prefix}/<key>`: checks the request's CloudFront signed cookies for
/// `https://<CDN domain>/<key>` exactly as CloudFront would (so the same cookies work there and
/// here), keeps owner-only paths to their owner, and answers nginx with `X-Accel-Redirect` to
/// its internal `/_presignd_media` location, which fetches the object with a short presigned
/// GET, caches it by key, and serves Range and conditional requests. presignd never carries
/// the bytes. The path is decoded once and must name a plain key: `..`, `.`, empty segments,
/// `%`, backslashes and control characters are refused, so no spelling reaches another key.
public struct MediaMiddleware: Middleware {
    let config: MediaConfig
    let cdn: CDNConfig
    let verifier: CloudFrontVerifier
    let signer: any ObjectURLSigner
    let authenticator: any Authenticator
    let clock: any Clock
    let logger: Logger

    /// nginx's internal location that fetches and caches the object.
    public static let internalLocation = "/_presignd_media"

    public init(config: MediaConfig, cdn: CDNConfig, verifier: CloudFrontVerifier, signer: any ObjectURLSigner,
                authenticator: any Authenticator, clock: any Clock, logger: Logger) {
        self.config = config
        self.cdn = cdn
        self.verifier = verifier
        self.signer = signer
        self.authenticator = authenticator
        self.clock = clock
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest, next: (HTTPRequest) -> HTTPResponse) throws -> HTTPResponse {
        guard request.path.hasPrefix(config.prefix + "/") else { return next(request) }
        RequestScope.current?.route = config.prefix + "/{key}"
        guard request.method == "GET" || request.method == "HEAD" else {
            throw APIError(status: 405, code: "method_not_allowed", message: "media is read with GET or HEAD", headers: ["Allow": "GET, HEAD"])
        }
        let key = try MediaMiddleware.objectKey(rawPath: request.path.dropFirst(config.prefix.utf8.count + 1))
        let url = "https://\(cdn.domain)/" + PercentEncoding.encode(key, keepSlash: true)
        let now = clock.now()
        let policy: VerifiedCloudFrontPolicy
        switch verifier.verify(cookieHeaders: request.headers.values("Cookie"), url: url, clientAddress: request.remoteAddress, now: now) {
        case .success(let verified):
            policy = verified
        case .failure(let refusal):
            logger.warning("media refused: \(refusal.reason)")
            throw APIError(status: 403, code: "media_forbidden",
                           message: "the signed cookies do not allow this URL; get fresh ones with POST /api/auth/cdn-cookies")
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for pattern in config.ownerPatterns {
            guard let owner = pattern.owner(of: segments) else { continue }
            let user: AuthenticatedUser
            do {
                user = try authenticator.authenticate(request, now: now)
            } catch {
                throw APIError(status: 403, code: "media_forbidden", message: "only its owner may see this file; sign in")
            }
            guard UserKeySegment.make(user.id).map({ $0[...] == owner }) == true else {
                throw APIError(status: 403, code: "media_forbidden", message: "only its owner may see this file")
            }
        }
        let signed = try signer.presignGet(key: key, responseContentDisposition: nil, responseContentType: nil,
                                           expiresIn: config.urlExpires, now: now)
        let maxAge = max(0, min(config.maxAge, policy.dateLessThan - now - 1))
        return HTTPResponse(status: 200, headers: [
            "X-Accel-Redirect": MediaMiddleware.internalLocation,
            "X-Presignd-Media-URL": signed.url,
            "X-Presignd-Media-Key": key,
            "X-Presignd-Media-Cache-Control": "private, max-age=\(maxAge)",
        ])
    }

    /// The object key a media path names, decoded once; every spelling that could leave its
    /// own key (dot segments, encoded slashes that make them, double encoding, NUL) is a 400.
    static func objectKey(rawPath: Substring) throws(APIError) -> String {
        let refusal = APIError.badRequest("invalid_path", "the media path must name a file by its plain key, such as /media/avatars/…/photo.png")
        guard !rawPath.isEmpty, rawPath.utf8.count <= 1024, let key = PercentEncoding.decode(String(rawPath)) else { throw refusal }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
              key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "%" && $0 != "\\" && !(0x80...0x9F).contains($0.value) })
        else { throw refusal }
        return key
    }
}
