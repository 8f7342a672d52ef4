import Synchronization
package import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// Why a request's CloudFront cookies do not let it see a URL; each is one named test.
package enum CloudFrontRefusal: Error, Sendable, Equatable {
    /// No Key-Pair-Id, Signature, or Policy/Expires cookie.
    case missingCookies
    /// A cookie is there twice, or its value is not CloudFront's base64, JSON or number.
    case malformed(String)
    /// The Key-Pair-Id names no trusted key.
    case unknownKey
    case unsupportedHashAlgorithm
    /// The signature does not verify with the named key (forged, truncated, or another key's).
    case badSignature
    case expired
    case notYetValid
    /// The policy's resource does not cover the URL.
    case wrongResource
    /// The policy's IpAddress does not contain the client's address.
    case wrongIPAddress

    /// A short reason for the log; the client sees one generic 403.
    package var reason: String {
        switch self {
        case .missingCookies: return "missing cookies"
        case .malformed(let what): return "malformed \(what)"
        case .unknownKey: return "unknown key pair id"
        case .unsupportedHashAlgorithm: return "unsupported hash algorithm"
        case .badSignature: return "bad signature"
        case .expired: return "expired"
        case .notYetValid: return "not yet valid"
        case .wrongResource: return "resource does not cover the URL"
        case .wrongIPAddress: return "client address not allowed"
        }
    }
}

/// A policy whose signature verified, reduced to what the per-request checks need.
package struct VerifiedCloudFrontPolicy: Sendable, Equatable {
    /// The resource pattern (`*` and `?` wildcards); nil for a canned policy (its resource is
    /// the URL itself) or a custom policy without one (every URL of the distribution).
    package let resource: String?
    package let canned: Bool
    package let dateLessThan: UnixSeconds
    package let dateGreaterThan: UnixSeconds?
    package let ipRange: IPRange?
    /// The key that signed it (`CloudFront-Key-Pair-Id`), for a check against retired keys.
    package internal(set) var keyPairID = ""
}

/// Verifies CloudFront signed cookies exactly as CloudFront does: `CloudFront-Policy` (custom)
/// or `CloudFront-Expires` (canned), `CloudFront-Signature`, `CloudFront-Key-Pair-Id`,
/// `CloudFront-Hash-Algorithm` (SHA1 by default, or SHA256); RSA or ECDSA P-256 keys; the
/// resource's wildcards, `DateLessThan`, `DateGreaterThan` and `IpAddress`. Several keys may be
/// trusted at once (a rotation). A cookie CloudFront would refuse is refused here.
///
/// Signature checks (about 25 µs for RSA-2048, 90 µs for ECDSA P-256) are remembered per
/// (key, policy, signature) in a small cache, since a page's images all carry the same
/// cookies; times, resource and address are checked on every request.
package final class CloudFrontVerifier: Sendable {
    let keys: [String: AsymmetricKey]
    let cache: VerificationCache

    /// `keys`: Key-Pair-Id → public (or private) key.
    package init(keys: [String: AsymmetricKey], cacheSize: Int = 1024) {
        self.keys = keys
        self.cache = VerificationCache(capacity: cacheSize)
    }

    package static let cookieNames = ["CloudFront-Policy", "CloudFront-Expires", "CloudFront-Signature", "CloudFront-Key-Pair-Id",
                                     "CloudFront-Hash-Algorithm"]

    /// Checks the cookies of `cookieHeaders` for `url` (scheme, host, path and query as the
    /// CDN would see it) requested from `clientAddress` at `now`.
    package func verify(cookieHeaders: [String], url: String, clientAddress: String, now: UnixSeconds)
        -> Result<VerifiedCloudFrontPolicy, CloudFrontRefusal> {
        let values: [String: String]
        switch CloudFrontVerifier.cookies(cookieHeaders) {
        case .success(let found): values = found
        case .failure(let refusal): return .failure(refusal)
        }
        guard let keyPairID = values["CloudFront-Key-Pair-Id"], let signatureText = values["CloudFront-Signature"],
              values["CloudFront-Policy"] != nil || values["CloudFront-Expires"] != nil else {
            return .failure(.missingCookies)
        }
        let policy: VerifiedCloudFrontPolicy
        switch signedPolicy(values, keyPairID: keyPairID, signatureText: signatureText, url: url) {
        case .success(let verified): policy = verified
        case .failure(let refusal): return .failure(refusal)
        }
        // CloudFront's order: time, then resource, then address.
        guard now < policy.dateLessThan else { return .failure(.expired) }
        if let after = policy.dateGreaterThan, now <= after { return .failure(.notYetValid) }
        if !policy.canned, let resource = policy.resource, !CloudFrontVerifier.matches(resource, url) {
            return .failure(.wrongResource)
        }
        if let range = policy.ipRange, !range.contains(clientAddress) { return .failure(.wrongIPAddress) }
        return .success(policy)
    }

    /// The policy, its signature verified (or found verified in the cache).
    func signedPolicy(_ values: [String: String], keyPairID: String, signatureText: String, url: String)
        -> Result<VerifiedCloudFrontPolicy, CloudFrontRefusal> {
        let digest: DigestAlgorithm
        switch values["CloudFront-Hash-Algorithm"] {
        case nil, "SHA1": digest = .sha1
        case "SHA256": digest = .sha256
        default: return .failure(.unsupportedHashAlgorithm)
        }
        // Lengths are checked before anything is decoded.
        guard signatureText.utf8.count <= 1024, (values["CloudFront-Policy"]?.utf8.count ?? 0) <= 8192 else {
            return .failure(.malformed("cookie too long"))
        }
        // Keyed by the cookies' text as sent (and, for a canned policy, the URL it is rebuilt
        // from), so a hit decodes nothing: one text has one decoding, so it is the same check.
        let cacheKey = VerificationCache.Key(keyPairID: keyPairID, hash: digest.name,
                                             policy: values["CloudFront-Policy"] ?? "expires:" + (values["CloudFront-Expires"] ?? "") + " " + url,
                                             signature: signatureText)
        if let hit = cache.lookup(cacheKey) { return .success(hit) }
        let policyJSON: [UInt8]
        let canned: Bool
        if let expiresText = values["CloudFront-Expires"], values["CloudFront-Policy"] == nil {
            guard (1...12).contains(expiresText.utf8.count), expiresText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let expires = Int64(expiresText), expires > 0 else {
                return .failure(.malformed("CloudFront-Expires"))
            }
            // A canned policy is not sent: CloudFront rebuilds it from the URL and verifies that.
            guard let json = try? CloudFrontPolicy.canned(resource: url, expires: expires).json() else {
                return .failure(.wrongResource)
            }
            policyJSON = Array(json.utf8)
            canned = true
        } else if let encoded = values["CloudFront-Policy"], values["CloudFront-Expires"] == nil {
            guard let decoded = CloudFrontVerifier.decodeBase64(encoded) else { return .failure(.malformed("CloudFront-Policy")) }
            policyJSON = decoded
            canned = false
        } else {
            return .failure(.malformed("both CloudFront-Policy and CloudFront-Expires"))
        }
        guard let signature = CloudFrontVerifier.decodeBase64(signatureText), !signature.isEmpty else {
            return .failure(.malformed("CloudFront-Signature"))
        }
        guard let key = keys[keyPairID] else { return .failure(.unknownKey) }
        guard key.verify(signature, message: policyJSON, digest: digest, padding: .pkcs1v15) else { return .failure(.badSignature) }
        guard var parsed = CloudFrontVerifier.parsePolicy(policyJSON, canned: canned) else {
            return .failure(.malformed("policy JSON"))
        }
        parsed.keyPairID = keyPairID
        cache.store(cacheKey, parsed)
        return .success(parsed)
    }

    /// `{"Statement":[{"Resource":…,"Condition":{"DateLessThan":{"AWS:EpochTime":…},…}}]}`:
    /// one statement, a DateLessThan, nothing CloudFront would not understand.
    static func parsePolicy(_ json: [UInt8], canned: Bool) -> VerifiedCloudFrontPolicy? {
        guard let value = try? JSONParser().parse(json), case .object(let root) = value, root.keys == ["Statement"],
              let statements = root["Statement"]?.arrayValue, statements.count == 1,
              case .object(let statement) = statements[0],
              statement.keys.allSatisfy({ $0 == "Resource" || $0 == "Condition" }),
              case .object(let condition)? = statement["Condition"],
              condition.keys.allSatisfy({ ["DateLessThan", "DateGreaterThan", "IpAddress"].contains($0) }),
              let lessThan = epoch(condition["DateLessThan"]) else { return nil }
        var resource: String? = nil
        if let given = statement["Resource"] {
            guard let text = given.stringValue, !text.isEmpty else { return nil }
            resource = text
        }
        var greaterThan: UnixSeconds? = nil
        if condition["DateGreaterThan"] != nil {
            guard let value = epoch(condition["DateGreaterThan"]) else { return nil }
            greaterThan = value
        }
        var range: IPRange? = nil
        if let ip = condition["IpAddress"] {
            guard case .object(let object) = ip, object.keys == ["AWS:SourceIp"], let text = object["AWS:SourceIp"]?.stringValue,
                  let parsed = IPRange(cidr: text) else { return nil }
            range = parsed
        }
        return VerifiedCloudFrontPolicy(resource: resource, canned: canned, dateLessThan: lessThan, dateGreaterThan: greaterThan,
                                        ipRange: range)
    }

    static func epoch(_ value: JSONValue?) -> UnixSeconds? {
        guard case .object(let object)? = value, object.keys == ["AWS:EpochTime"], let seconds = object["AWS:EpochTime"]?.int64Value,
              seconds > 0 else { return nil }
        return seconds
    }

    /// The `CloudFront-*` cookies of the `Cookie` headers (`a=1; b=2`, RFC 6265 §5.4), read in
    /// one pass over the bytes (every image request pays for it); a name sent twice is refused.
    static func cookies(_ headers: [String]) -> Result<[String: String], CloudFrontRefusal> {
        var found: [String: String] = [:]
        for header in headers {
            for pair in header.utf8.split(separator: UInt8(ascii: ";")) {
                var bytes = pair[...]
                while bytes.first == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
                guard bytes.starts(with: "CloudFront-".utf8), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                guard cookieNames.contains(name) else { continue }
                var value = bytes[bytes.index(after: equals)...]
                while value.last == UInt8(ascii: " ") { value = value.dropLast() }
                guard found.updateValue(String(decoding: value, as: UTF8.self), forKey: name) == nil else {
                    return .failure(.malformed("\(name) cookie sent twice"))
                }
            }
        }
        return .success(found)
    }

    /// CloudFront's base64: `-` for `+`, `_` for `=`, `~` for `/`.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        let standard = text.utf8.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "-"): return UInt8(ascii: "+")
            case UInt8(ascii: "_"): return UInt8(ascii: "=")
            case UInt8(ascii: "~"): return UInt8(ascii: "/")
            default: return byte
            }
        }
        return Base64.decode(String(decoding: standard, as: UTF8.self))
    }

    /// A resource pattern against a URL: `*` matches any run of characters (`/` included),
    /// `?` exactly one; everything else compares exactly.
    package static func matches(_ pattern: String, _ url: String) -> Bool {
        let p = Array(pattern.utf8), s = Array(url.utf8)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            // A `*` in the pattern is always the wildcard, even facing a `*` in the URL.
            if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = si
                pi += 1
            } else if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == s[si]) {
                pi += 1
                si += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// Remembered signature checks, bounded: when full, it starts over (a page's cookies are
/// verified again once, which costs one signature check). Only checks that passed are kept.
final class VerificationCache: Sendable {
    struct Key: Hashable, Sendable {
        let keyPairID: String
        let hash: String
        let policy: String
        let signature: String
    }

    let capacity: Int
    let entries = Mutex<[Key: VerifiedCloudFrontPolicy]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ key: Key) -> VerifiedCloudFrontPolicy? {
        guard capacity > 0 else { return nil }
        return entries.withLock { $0[key] }
    }

    func store(_ key: Key, _ policy: VerifiedCloudFrontPolicy) {
        guard capacity > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = policy
        }
    }
}
