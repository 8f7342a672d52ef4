import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// The URL (or query) a presigned request carries, and the signature over it.
struct QuerySignature {
    /// `urlPrefix + path + "?" + query`, or the query alone when no prefix was given. The query
    /// holds the extra parameters first (in the caller's order), then `X-Amz-*` in the order the
    /// AWS SDKs write them, `X-Amz-Signature` last; all percent-encoded.
    let url: String
    let signature: SigV4Signature
}

extension SigV4Signer {
    /// Signs a request whose authentication travels in the query (a presigned URL).
    /// `extra` holds decoded parameters the URL also carries; they are signed too.
    func signQuery(
        method: String, canonicalPath: String, urlPrefix: String?, extra: [CanonicalQuery.Pair], headers: CanonicalHeaders,
        payloadHash: String, scope: SigV4Scope, time: SigV4Time, expires: Int, includeSessionToken: Bool = true
    ) -> QuerySignature {
        let material = material(for: scope)
        let extras = CanonicalQuery.encodedPairs(extra)
        let signedHeaders = headers.encodedSignedHeaders
        let token = includeSessionToken ? encodedSessionToken : nil

        var canonical: [UInt8] = []
        canonical.reserveCapacity(400 + canonicalPath.utf8.count + (token?.utf8.count ?? 0))
        canonical.append(contentsOf: method.utf8)
        canonical.append(0x0A)
        canonical.append(contentsOf: canonicalPath.utf8)
        canonical.append(0x0A)
        var auth: [UInt8] = []  // the X-Amz-* block, in canonical order, token included
        auth.reserveCapacity(200 + (token?.utf8.count ?? 0))
        auth.append(contentsOf: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=".utf8)
        auth.append(contentsOf: material.encodedCredential.utf8)
        auth.append(contentsOf: "&X-Amz-Date=".utf8)
        time.appendAMZDate(to: &auth)
        auth.append(contentsOf: "&X-Amz-Expires=".utf8)
        auth.append(contentsOf: String(expires).utf8)
        let beforeToken = auth.count
        if let token {
            auth.append(contentsOf: "&X-Amz-Security-Token=".utf8)
            auth.append(contentsOf: token.utf8)
        }
        let afterToken = auth.count
        auth.append(contentsOf: "&X-Amz-SignedHeaders=".utf8)
        auth.append(contentsOf: signedHeaders.utf8)
        if extras.isEmpty {
            canonical.append(contentsOf: auth)
        } else if extras.allSatisfy({ ($0.name.utf8.first ?? 0) > UInt8(ascii: "X") }) {
            // Names that sort after every `X-Amz-*` one (S3's own: partNumber, uploadId,
            // response-content-disposition, …) follow the block, which is already in order:
            // no need to split it and sort everything again (a third of an UploadPart URL's cost).
            canonical.append(contentsOf: auth)
            canonical.append(UInt8(ascii: "&"))
            CanonicalQuery.write(encoded: extras, to: &canonical)
        } else {
            CanonicalQuery.write(encoded: extras + CanonicalQuery.authPairs(auth), to: &canonical)
        }
        canonical.append(0x0A)
        headers.write(to: &canonical)
        canonical.append(contentsOf: payloadHash.utf8)
        let signature = sign(canonicalRequest: canonical, time: time, material: material)

        var url: [UInt8] = []
        url.reserveCapacity(canonical.count + 128)
        if let urlPrefix {
            url.append(contentsOf: urlPrefix.utf8)
            url.append(contentsOf: canonicalPath.utf8)
            url.append(UInt8(ascii: "?"))
        }
        for pair in extras {
            url.append(contentsOf: pair.name.utf8)
            url.append(UInt8(ascii: "="))  // a bare flag such as `uploads` is written `uploads=`, as the SDKs do
            url.append(contentsOf: pair.value.utf8)
            url.append(UInt8(ascii: "&"))
        }
        // The SDKs put the token after SignedHeaders; unsigned (omitted above) it is still sent.
        url.append(contentsOf: auth[0..<beforeToken])
        url.append(contentsOf: auth[afterToken...])
        if let token = encodedSessionToken {
            url.append(contentsOf: "&X-Amz-Security-Token=".utf8)
            url.append(contentsOf: token.utf8)
        }
        url.append(contentsOf: "&X-Amz-Signature=".utf8)
        var digest = signature.digest
        withUnsafeBytes(of: &digest) { Hex.append($0, to: &url) }
        return QuerySignature(url: String(decoding: url, as: UTF8.self), signature: signature)
    }

    /// Signs a request whose authentication travels in the `Authorization` header.
    /// `headers` must already hold every header to sign (host, x-amz-date, …).
    func signHeaders(
        method: String, canonicalPath: String, query: [CanonicalQuery.Pair], headers: CanonicalHeaders,
        payloadHash: String, scope: SigV4Scope, time: SigV4Time
    ) -> (authorization: String, signature: SigV4Signature) {
        let material = material(for: scope)
        var canonical: [UInt8] = []
        canonical.reserveCapacity(512)
        canonical.append(contentsOf: method.utf8)
        canonical.append(0x0A)
        canonical.append(contentsOf: canonicalPath.utf8)
        canonical.append(0x0A)
        CanonicalQuery.write(encoded: CanonicalQuery.encodedPairs(query), to: &canonical)
        canonical.append(0x0A)
        headers.write(to: &canonical)
        canonical.append(contentsOf: payloadHash.utf8)
        let signature = sign(canonicalRequest: canonical, time: time, material: material)
        let authorization = SigV4Signer.algorithm + " Credential=" + material.credential
            + ", SignedHeaders=" + headers.signedHeaders + ", Signature=" + signature.signature
        return (authorization, signature)
    }
}

extension CanonicalQuery {
    /// Splits an already-encoded `a=1&b=2` block back into pairs (for merging with extras).
    static func authPairs(_ block: [UInt8]) -> [Pair] {
        block.split(separator: UInt8(ascii: "&")).map { part in
            let equals = part.firstIndex(of: UInt8(ascii: "="))!
            return (name: String(decoding: part[..<equals], as: UTF8.self), value: String(decoding: part[(equals + 1)...], as: UTF8.self))
        }
    }
}
