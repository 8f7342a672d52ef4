import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// A request as a SigV4 signer sees it.
package struct SigV4Request: Sendable {
    package var method: String
    /// The path as it goes on the wire (already percent-encoded once).
    package var path: String
    /// Decoded query parameters.
    package var query: [(name: String, value: String)]
    /// Headers to sign, `Host` included.
    package var headers: HTTPHeaders

    package init(method: String, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }
}

/// A request signed in its `Authorization` header.
package struct HeaderSignedRequest: Sendable {
    /// Every header to send: the caller's, plus X-Amz-Date, X-Amz-Security-Token,
    /// X-Amz-Content-SHA256 where used, and Authorization.
    package let headers: HTTPHeaders
    package let authorization: String
    package let signature: SigV4Signature
}

/// A request signed in its query string (a presigned URL).
package struct QuerySignedRequest: Sendable {
    /// The query to append after `?`, percent-encoded, `X-Amz-Signature` last.
    package let query: String
    package let signature: SigV4Signature
}

/// SigV4 for any AWS service (STS, Lambda, RDS auth tokens, …): double-encoded paths,
/// normalised unless told otherwise. S3 has its own rules: see `S3RequestSigner`.
package struct GenericSigV4Signer: Sendable {
    package let signer: SigV4Signer
    package let region: String
    package let service: String
    package let pathRule: CanonicalPathRule

    package init(signer: SigV4Signer, region: String, service: String, pathRule: CanonicalPathRule = .normalizedDoubleEncoded) {
        self.signer = signer
        self.region = region
        self.service = service
        self.pathRule = pathRule
    }

    /// Signs in the Authorization header. `contentSHA256Header` adds `X-Amz-Content-SHA256`
    /// (S3 and some services want it); `signSessionToken: false` adds the token after signing,
    /// for the services that expect it outside the signature.
    package func signHeaders(
        _ request: SigV4Request, payloadHash: String, at time: UnixSeconds,
        contentSHA256Header: Bool = false, signSessionToken: Bool = true
    ) throws(SigningError) -> HeaderSignedRequest {
        let method = try SigV4Request.validMethod(request.method)
        let date = SigV4Time(time)
        var headers = request.headers
        headers.set("X-Amz-Date", date.amzDate)
        if let token = signer.credentials.sessionToken, signSessionToken { headers.set("X-Amz-Security-Token", token) }
        if contentSHA256Header { headers.set("X-Amz-Content-SHA256", payloadHash) }
        let canonicalHeaders = try CanonicalHeaders(headers)
        guard canonicalHeaders.contains("host") else { throw .invalidHeader("the Host header must be signed; add it") }
        let scope = SigV4Scope(date: date.dateStamp, region: region, service: service)
        let (authorization, signature) = signer.signHeaders(
            method: method, canonicalPath: pathRule.canonical(request.path), query: request.query,
            headers: canonicalHeaders, payloadHash: payloadHash, scope: scope, time: date)
        if let token = signer.credentials.sessionToken, !signSessionToken { headers.set("X-Amz-Security-Token", token) }
        headers.set("Authorization", authorization)
        return HeaderSignedRequest(headers: headers, authorization: authorization, signature: signature)
    }

    /// Signs in the query: the result's `query` goes after `?` in place of the request's own.
    package func presign(
        _ request: SigV4Request, payloadHash: String, at time: UnixSeconds, expires: Int, signSessionToken: Bool = true
    ) throws(SigningError) -> QuerySignedRequest {
        let method = try SigV4Request.validMethod(request.method)
        try SigningLifetime.check(expires)
        let date = SigV4Time(time)
        let canonicalHeaders = try CanonicalHeaders(request.headers)
        guard canonicalHeaders.contains("host") else { throw .invalidHeader("the Host header must be signed; add it") }
        try SigV4Request.refuseAuthParameters(request.query)
        let scope = SigV4Scope(date: date.dateStamp, region: region, service: service)
        let signed = signer.signQuery(
            method: method, canonicalPath: pathRule.canonical(request.path), urlPrefix: nil, extra: request.query,
            headers: canonicalHeaders, payloadHash: payloadHash, scope: scope, time: date, expires: expires,
            includeSessionToken: signSessionToken)
        return QuerySignedRequest(query: signed.url, signature: signed.signature)
    }
}

extension SigV4Request {
    static let methods: Set<String> = ["GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS"]

    static func validMethod(_ method: String) throws(SigningError) -> String {
        guard methods.contains(method) else {
            throw .invalidMethod("the HTTP method must be one of GET, PUT, POST, HEAD, DELETE, PATCH, OPTIONS (upper case)")
        }
        return method
    }

    static let authParameters: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
        "x-amz-signature", "x-amz-security-token",
    ]

    /// A caller cannot smuggle its own X-Amz-Signature or X-Amz-Expires into a URL we sign.
    /// Every one of them starts with `x`, so the usual names (S3's own, `response-content-type`,
    /// `partNumber`, `uploadId`) are passed without lower-casing them and hashing the copy.
    static func refuseAuthParameters(_ query: [(name: String, value: String)]) throws(SigningError) {
        for item in query where item.name.utf8.first.map({ $0 | 0x20 == UInt8(ascii: "x") }) == true
            && authParameters.contains(item.name.lowercased()) {
            throw .invalidQuery("the query parameter \(item.name) is set by the signer; remove it")
        }
    }
}
