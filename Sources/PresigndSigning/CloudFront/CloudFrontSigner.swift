import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// The hash CloudFront is told to use (`Hash-Algorithm`); SHA-1 is CloudFront's default.
package enum CloudFrontHashAlgorithm: String, Sendable, CaseIterable {
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    var digest: DigestAlgorithm { self == .sha1 ? .sha1 : .sha256 }
}

/// Signs CloudFront URLs and cookies with one key of a trusted key group. The key and the hash
/// are fixed when the signer is made; RSA-2048 and ECDSA P-256 keys are accepted, as CloudFront does.
package struct CloudFrontSigner: Sendable {
    package let keyPairID: String
    package let hashAlgorithm: CloudFrontHashAlgorithm
    private let key: AsymmetricKey

    package init(keyPairID: String, privateKeyPEM: String, hashAlgorithm: CloudFrontHashAlgorithm = .sha1) throws(SigningError) {
        guard !keyPairID.isEmpty, keyPairID.utf8.count <= 64, keyPairID.utf8.allSatisfy({ PercentEncoding.isUnreserved($0) }) else {
            throw .invalidKeyPair("the CloudFront key pair id must be the public key's id, like K2JCJMDEHXQW5F")
        }
        let key: AsymmetricKey
        do {
            key = try AsymmetricKey.privateKey(pem: privateKeyPEM)
        } catch {
            throw .invalidKeyPair("the CloudFront private key is not a readable PEM private key (PKCS#1, SEC1 or PKCS#8, unencrypted)")
        }
        switch key.family {
        case .rsa(let bits) where bits >= 2048: break
        case .ec(curve: "P-256"): break
        default:
            throw .invalidKeyPair("CloudFront accepts RSA keys of at least 2048 bits or ECDSA P-256 keys; this key is neither")
        }
        self.keyPairID = keyPairID
        self.hashAlgorithm = hashAlgorithm
        self.key = key
    }

    /// The signature over `policy`'s JSON, in CloudFront's base64 (`+`→`-`, `=`→`_`, `/`→`~`).
    func sign(_ policyJSON: String) throws(SigningError) -> String {
        do {
            // ECDSA signatures stay DER-encoded, which is what CloudFront verifies.
            let signature = try key.sign(Array(policyJSON.utf8), digest: hashAlgorithm.digest, padding: .pkcs1v15)
            return CloudFrontSigner.base64(signature)
        } catch {
            throw SigningError(status: 500, code: .signingFailed, message: "the CloudFront key could not sign; check the key")
        }
    }

    static func base64(_ bytes: [UInt8]) -> String {
        String(Base64.encode(bytes).map { char -> Character in
            switch char {
            case "+": return "-"
            case "=": return "_"
            case "/": return "~"
            default: return char
            }
        })
    }

    /// `url` with `Expires`/`Policy`, `Signature`, `Key-Pair-Id` (and `Hash-Algorithm` when not SHA-1) appended.
    package func signedURL(_ url: String, policy: CloudFrontPolicy) throws(SigningError) -> String {
        _ = try RequestURL(url)
        if case .canned(let resource, _) = policy, resource != url {
            throw .invalidPolicy("a canned policy's resource must be the URL being signed")
        }
        let existing = try CanonicalQuery.parse(url.split(separator: "?", maxSplits: 1).dropFirst().first ?? "")
        for item in existing where CloudFrontSigner.reservedQuery.contains(item.name) {
            throw .invalidURL("the URL already has a \(item.name) parameter; pass the URL without CloudFront's parameters")
        }
        let query = try signedParameters(policy).map { $0.0 + "=" + $0.1 }.joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + query
    }

    /// The cookies a browser needs (values only; the caller adds Domain, Path, Secure, HttpOnly).
    package func cookies(policy: CloudFrontPolicy) throws(SigningError) -> [(name: String, value: String)] {
        try signedParameters(policy).map { (name: "CloudFront-" + $0.0, value: $0.1) }
    }

    static let reservedQuery: Set<String> = ["Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"]

    private func signedParameters(_ policy: CloudFrontPolicy) throws(SigningError) -> [(String, String)] {
        let json = try policy.json()
        var parameters: [(String, String)] = []
        switch policy {
        case .canned(_, let expires): parameters.append(("Expires", String(expires)))
        case .custom: parameters.append(("Policy", CloudFrontSigner.base64(Array(json.utf8))))
        }
        parameters.append(("Signature", try sign(json)))
        parameters.append(("Key-Pair-Id", keyPairID))
        if hashAlgorithm != .sha1 { parameters.append(("Hash-Algorithm", hashAlgorithm.rawValue)) }
        return parameters
    }
}
