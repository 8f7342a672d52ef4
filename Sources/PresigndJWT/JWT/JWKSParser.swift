import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// Reads a JSON Web Key Set (RFC 7517 §5) into keys each bound to one algorithm.
/// Keys that are not for signatures, or of a type we do not verify with, are skipped (providers
/// publish encryption keys beside signing keys); a signing key that is malformed is skipped and
/// reported, so one bad key cannot take the others down.
package enum JWKSParser {
    package struct Result: Sendable {
        package let keys: KeySet
        /// One line per skipped key, naming its `kid` and the reason (never key material).
        package let skipped: [String]
    }

    package static func parse(_ bytes: [UInt8]) throws(KeyLoadError) -> Result {
        guard let document = try? JSONParser(rejectDuplicateKeys: true, maxDepth: 16).parse(bytes),
              let entries = document["keys"]?.arrayValue
        else { throw KeyLoadError("not a JWK Set: expected a JSON object with a \"keys\" array") }
        var keys: [VerificationKey] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            let label = entry["kid"]?.stringValue.map { "kid \"\(printable($0))\"" } ?? "key #\(index)"
            do {
                if let key = try parseKey(entry) { keys.append(key) } else { skipped.append("\(label): not a signature key we verify with") }
            } catch {
                skipped.append("\(label): \(error.problem)")
            }
        }
        guard !keys.isEmpty else { throw KeyLoadError("the JWK Set holds no usable signature key (\(skipped.joined(separator: "; ")))") }
        return Result(keys: KeySet(keys), skipped: skipped)
    }

    /// One JWK as a verification key; nil when it is not meant for verifying signatures.
    package static func parseKey(_ jwk: JSONValue) throws(KeyLoadError) -> VerificationKey? {
        guard let object = jwk.objectValue, let kty = object["kty"]?.stringValue else { throw KeyLoadError("no kty") }
        if let use = object["use"] { guard use.stringValue == "sig" else { return nil } }
        if let ops = object["key_ops"]?.arrayValue, !ops.contains(.string("verify")) { return nil }
        var keyID: String? = nil
        if let kid = object["kid"] {
            guard let text = kid.stringValue else { throw KeyLoadError("kid is not a string") }
            keyID = text
        }
        var declared: JWSAlgorithm? = nil
        if let alg = object["alg"] {
            guard let name = alg.stringValue else { throw KeyLoadError("alg is not a string") }
            guard let algorithm = JWSAlgorithm.named(name) else { return nil }  // e.g. RSA-OAEP, ES512
            declared = algorithm
        }
        switch kty {
        case "RSA":
            // Without "alg" an RSA key is taken as RS256, the one every provider uses.
            let algorithm = declared ?? .rs256
            let (n, e) = (try field(object, "n"), try field(object, "e"))
            guard let key = try? AsymmetricKey.rsaPublicKey(modulus: n, exponent: e) else { throw KeyLoadError("n and e are not an RSA key") }
            return try VerificationKey.publicKey(key, algorithm: algorithm, keyID: keyID)
        case "EC":
            guard let curve = object["crv"]?.stringValue else { throw KeyLoadError("no crv") }
            guard let algorithm = declared ?? JWSAlgorithm.allCases.first(where: { $0.curve?.name == curve }) else { return nil }
            let (x, y) = (try field(object, "x"), try field(object, "y"))
            guard let key = try? AsymmetricKey.ecPublicKey(curve: curve, x: x, y: y) else { throw KeyLoadError("x and y are not a point on \(curve)") }
            return try VerificationKey.publicKey(key, algorithm: algorithm, keyID: keyID)
        case "OKP":
            guard object["crv"]?.stringValue == "Ed25519" else { return nil }  // Ed448, X25519
            guard let key = try? AsymmetricKey.ed25519PublicKey(try field(object, "x")) else { throw KeyLoadError("x is not an Ed25519 public key") }
            return try VerificationKey.publicKey(key, algorithm: declared ?? .edDSA, keyID: keyID)
        case "oct":
            guard let algorithm = declared else { throw KeyLoadError("an oct key needs an alg (HS256, HS384 or HS512)") }
            return try VerificationKey.hmac(try field(object, "k"), algorithm: algorithm, keyID: keyID)
        default:
            return nil
        }
    }

    static func field(_ object: JSONObject, _ name: String) throws(KeyLoadError) -> [UInt8] {
        guard let text = object[name]?.stringValue, let bytes = Base64.decodeURL(text), !bytes.isEmpty else {
            throw KeyLoadError("\(name) is missing or not base64url")
        }
        return bytes
    }

    /// A kid as it may appear in a log line: printable ASCII, at most 64 characters.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" }.prefix(64)))
    }
}
