import Synchronization
import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// Signs SigV4 canonical requests with one set of credentials. Thread-safe: what depends only
/// on the (date, region, service) scope — the derived key with its HMAC pads precomputed, the
/// credential text — is computed once and kept behind a lock; each signature then costs the
/// hashing of its own bytes and nothing else.
package final class SigV4Signer: Sendable {
    package static let algorithm = "AWS4-HMAC-SHA256"

    package let credentials: AWSCredentials
    private let scopes = Mutex<ScopeCache>(ScopeCache())
    /// The session token percent-encoded for a query, computed once.
    let encodedSessionToken: String?

    package init(credentials: AWSCredentials) {
        self.credentials = credentials
        self.encodedSessionToken = credentials.sessionToken.map { PercentEncoding.encode($0) }
    }

    /// What every signature in one scope shares.
    struct ScopeMaterial: Sendable {
        let signingKey: [UInt8]
        let mac: HMACSHA256Key
        /// `AKID/20260314/us-east-1/s3/aws4_request`.
        let credential: String
        /// The same, percent-encoded for `X-Amz-Credential`.
        let encodedCredential: String
        /// `20260314/us-east-1/s3/aws4_request\n`, the string to sign's third line.
        let scopeLine: [UInt8]
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    package func signingKey(for scope: SigV4Scope) -> [UInt8] { material(for: scope).signingKey }

    /// Nearly every signature of a day has the same scope: the last one is checked before hashing.
    struct ScopeCache {
        var last: (scope: SigV4Scope, material: ScopeMaterial)?
        var all: [SigV4Scope: ScopeMaterial] = [:]
    }

    func material(for scope: SigV4Scope) -> ScopeMaterial {
        let cached = scopes.withLock { cache -> ScopeMaterial? in
            if let last = cache.last, last.scope == scope { return last.material }
            guard let found = cache.all[scope] else { return nil }
            cache.last = (scope, found)
            return found
        }
        if let cached { return cached }
        var key = Array(("AWS4" + credentials.secretAccessKey).utf8)
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = HMACSHA256Key(key).authenticate(Array(part.utf8))
        }
        let credential = credentials.accessKeyID + "/" + scope.text
        let material = ScopeMaterial(signingKey: key, mac: HMACSHA256Key(key), credential: credential,
                                     encodedCredential: PercentEncoding.encode(credential), scopeLine: Array((scope.text + "\n").utf8))
        scopes.withLock { cache in
            if cache.all.count >= 32 { cache.all.removeAll() }  // old dates; bounded so it cannot grow forever
            cache.all[scope] = material
            cache.last = (scope, material)
        }
        return material
    }

    /// Hashes `canonicalRequest`, builds the string to sign and signs it.
    func sign(canonicalRequest: [UInt8], time: SigV4Time, scope: SigV4Scope) -> SigV4Signature {
        sign(canonicalRequest: canonicalRequest, time: time, material: material(for: scope))
    }

    func sign(canonicalRequest: [UInt8], time: SigV4Time, material: ScopeMaterial) -> SigV4Signature {
        var stringToSign: [UInt8] = []
        stringToSign.reserveCapacity(160)
        stringToSign.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        time.appendAMZDate(to: &stringToSign)
        stringToSign.append(0x0A)
        stringToSign.append(contentsOf: material.scopeLine)
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &digest) { out in
            var hash = SHA256State()
            canonicalRequest.withUnsafeBytes { hash.update($0) }
            hash.finalize(into: out)
            Hex.append(UnsafeRawBufferPointer(out), to: &stringToSign)
            stringToSign.withUnsafeBytes { material.mac.authenticate($0, into: out) }
        }
        return SigV4Signature(canonicalRequestBytes: canonicalRequest, stringToSignBytes: stringToSign, digest: digest)
    }

    /// Lower-case hex SHA-256 of `bytes`, as `x-amz-content-sha256` carries it.
    package func payloadHash(_ bytes: [UInt8]) -> String {
        var state = SHA256State()
        state.update(bytes)
        return Hex.encode(state.finalize())
    }

    /// Signs an arbitrary string with the scope's key (S3 POST policies sign their base64 text).
    func signString(_ text: String, scope: SigV4Scope) -> String {
        Hex.encode(material(for: scope).mac.authenticate(Array(text.utf8)))
    }
}

extension Hex {
    /// Appends lower-case hex of `bytes` to `output` without an intermediate String.
    package static func append(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: bytes.count * 2))
        output.withUnsafeMutableBufferPointer { buffer in
            lowerDigits.withUnsafeBufferPointer { digits in
                for (index, byte) in bytes.enumerated() {
                    buffer[start + 2 * index] = digits[Int(byte >> 4)]
                    buffer[start + 2 * index + 1] = digits[Int(byte & 0x0F)]
                }
            }
        }
    }

    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = lowerDigits[Int(byte >> 4)]
                buffer[2 * index + 1] = lowerDigits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}
