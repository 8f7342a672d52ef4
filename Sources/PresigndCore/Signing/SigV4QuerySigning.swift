/// The query a presigned URL carries, and the signature over it.
struct QuerySignature {
    /// Extra parameters first (in the caller's order), then `X-Amz-*` in the order the AWS SDKs
    /// write them, then `X-Amz-Signature`; already percent-encoded.
    let urlQuery: String
    let signature: SigV4Signature
}

extension SigV4Signer {
    /// Signs a request whose authentication travels in the query (a presigned URL).
    /// `extra` holds decoded parameters the URL also carries; they are signed too.
    func signQuery(
        method: String, canonicalPath: String, extra: [CanonicalQuery.Pair], headers: CanonicalHeaders,
        payloadHash: String, scope: SigV4Scope, amzDate: String, expires: Int, includeSessionToken: Bool = true
    ) -> QuerySignature {
        var pairs = CanonicalQuery.encodedPairs(extra)
        pairs.append((name: "X-Amz-Algorithm", value: SigV4Signer.algorithm))
        pairs.append((name: "X-Amz-Credential", value: PercentEncoding.encode(credentials.accessKeyID + "/" + scope.text)))
        pairs.append((name: "X-Amz-Date", value: amzDate))
        pairs.append((name: "X-Amz-Expires", value: String(expires)))
        pairs.append((name: "X-Amz-SignedHeaders", value: PercentEncoding.encode(headers.signedHeaders)))
        if includeSessionToken, let token = credentials.sessionToken {
            pairs.append((name: "X-Amz-Security-Token", value: PercentEncoding.encode(token)))
        }

        var canonical: [UInt8] = []
        canonical.reserveCapacity(512)
        canonical.append(contentsOf: method.utf8)
        canonical.append(0x0A)
        canonical.append(contentsOf: canonicalPath.utf8)
        canonical.append(0x0A)
        CanonicalQuery.write(encoded: pairs, to: &canonical)
        canonical.append(0x0A)
        headers.write(to: &canonical)
        canonical.append(contentsOf: payloadHash.utf8)
        let signature = sign(canonicalRequest: canonical, amzDate: amzDate, scope: scope)

        var url: [UInt8] = []
        url.reserveCapacity(canonical.count)
        for (index, pair) in pairs.enumerated() {
            if index > 0 { url.append(UInt8(ascii: "&")) }
            url.append(contentsOf: pair.name.utf8)
            // A bare flag such as `uploads` is written as the SDKs write it: `uploads=`.
            url.append(UInt8(ascii: "="))
            url.append(contentsOf: pair.value.utf8)
        }
        if !includeSessionToken, let token = credentials.sessionToken {
            // Services that want the token outside the signature still need it in the URL.
            url.append(contentsOf: "&X-Amz-Security-Token=".utf8)
            url.append(contentsOf: PercentEncoding.encode(token).utf8)
        }
        url.append(contentsOf: "&X-Amz-Signature=".utf8)
        url.append(contentsOf: signature.signature.utf8)
        return QuerySignature(urlQuery: String(decoding: url, as: UTF8.self), signature: signature)
    }

    /// Signs a request whose authentication travels in the `Authorization` header.
    /// `headers` must already hold every header to sign (host, x-amz-date, …).
    func signHeaders(
        method: String, canonicalPath: String, query: [CanonicalQuery.Pair], headers: CanonicalHeaders,
        payloadHash: String, scope: SigV4Scope, amzDate: String
    ) -> (authorization: String, signature: SigV4Signature) {
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
        let signature = sign(canonicalRequest: canonical, amzDate: amzDate, scope: scope)
        let authorization = SigV4Signer.algorithm + " Credential=" + credentials.accessKeyID + "/" + scope.text
            + ", SignedHeaders=" + headers.signedHeaders + ", Signature=" + signature.signature
        return (authorization, signature)
    }
}
