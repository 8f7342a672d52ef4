import PresigndCrypto
import Synchronization

/// Signs SigV4 canonical requests with one set of credentials. Thread-safe: the derived
/// signing key is cached per (date, region, service) behind a lock, and each call borrows its
/// own libcrypto contexts from a pool.
public final class SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public let credentials: AWSCredentials
    private let keys = Mutex<[SigV4Scope: [UInt8]]>([:])
    private let contexts = SigningContextPool()

    public init(credentials: AWSCredentials) {
        self.credentials = credentials
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
    /// derived once per scope and reused (a day's worth of signatures share one key).
    public func signingKey(for scope: SigV4Scope) -> [UInt8] {
        if let key = keys.withLock({ $0[scope] }) { return key }
        var key = Array(("AWS4" + credentials.secretAccessKey).utf8)
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = HMAC.sha256(key: key, data: Array(part.utf8))
        }
        keys.withLock { cache in
            if cache.count >= 32 { cache.removeAll() }  // old dates; bounded so it cannot grow forever
            cache[scope] = key
        }
        return key
    }

    /// Hashes `canonicalRequest`, builds the string to sign and signs it.
    func sign(canonicalRequest: [UInt8], amzDate: String, scope: SigV4Scope) -> SigV4Signature {
        let key = signingKey(for: scope)
        return contexts.withContexts { ctx in
            var stringToSign: [UInt8] = []
            stringToSign.reserveCapacity(128)
            stringToSign.append(contentsOf: SigV4Signer.algorithm.utf8)
            stringToSign.append(0x0A)
            stringToSign.append(contentsOf: amzDate.utf8)
            stringToSign.append(0x0A)
            stringToSign.append(contentsOf: scope.date.utf8)
            stringToSign.append(0x2F)
            stringToSign.append(contentsOf: scope.region.utf8)
            stringToSign.append(0x2F)
            stringToSign.append(contentsOf: scope.service.utf8)
            stringToSign.append(contentsOf: "/aws4_request\n".utf8)
            var hash = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            withUnsafeMutableBytes(of: &hash) { out in
                canonicalRequest.withUnsafeBytes { ctx.sha256($0, into: out) }
                Hex.append(UnsafeRawBufferPointer(out), to: &stringToSign)
            }
            var mac = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            let signature = withUnsafeMutableBytes(of: &mac) { out -> String in
                stringToSign.withUnsafeBytes { ctx.hmacSHA256(key: key, $0, into: out) }
                var hex: [UInt8] = []
                hex.reserveCapacity(64)
                Hex.append(UnsafeRawBufferPointer(out), to: &hex)
                return String(decoding: hex, as: UTF8.self)
            }
            return SigV4Signature(canonicalRequestBytes: canonicalRequest, stringToSignBytes: stringToSign, signature: signature)
        }
    }

    /// Lower-case hex SHA-256 of `bytes`, as `x-amz-content-sha256` carries it.
    public func payloadHash(_ bytes: [UInt8]) -> String {
        Hex.encode(contexts.withContexts { $0.sha256(bytes) })
    }

    /// Signs an arbitrary string with the scope's key (S3 POST policies sign their base64 text).
    func signString(_ text: String, scope: SigV4Scope) -> String {
        let key = signingKey(for: scope)
        return Hex.encode(contexts.withContexts { $0.hmacSHA256(key: key, Array(text.utf8)) })
    }
}

extension Hex {
    /// Appends lower-case hex of `bytes` to `output` without an intermediate String.
    static func append(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        for byte in bytes {
            output.append(lowerDigits[Int(byte >> 4)])
            output.append(lowerDigits[Int(byte & 0x0F)])
        }
    }
}
