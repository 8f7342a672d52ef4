package import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// The CloudFront keys, loaded (and checked) once when a CDN is configured.
///
/// | variable | meaning |
/// | --- | --- |
/// | `PRESIGND_CLOUDFRONT_KEY_PAIR_ID` | the CloudFront public key's id (required with a CDN) |
/// | `PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE` | its PEM private key (required with a CDN) |
/// | `PRESIGND_CLOUDFRONT_TRUSTED_KEYS` | more keys whose cookies the media route accepts during a rotation, `KEYID=/path/key.pem,…` (public or private PEM) |
package struct CloudFrontConfig: ConfigSection {
    package let signer: CloudFrontSigner
    /// The keys whose cookies the media route accepts: the signing key and the trusted ones.
    package let verifierKeys: [String: AsymmetricKey]
    /// The private keys' PEM files, the signing key's first: the media session cookie's MAC
    /// keys derive from them (a trusted key given as a private key keeps sessions across a rotation).
    package let privateKeyPEMs: [[UInt8]]
    package let entries: [ConfigEntry]

    package static func load(_ env: Environment) throws(ConfigError) -> CloudFrontConfig {
        let keyPairID = env.string("PRESIGND_CLOUDFRONT_KEY_PAIR_ID")
        let path = env.string("PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE")
        let signing = try signingKey(env, keyPairID: keyPairID, path: path)
        var keys: [String: AsymmetricKey] = [:]
        var privateKeyPEMs: [[UInt8]] = []
        if let signing {
            keys[signing.signer.keyPairID] = signing.key
            privateKeyPEMs.append(signing.pem)
        }
        let trusted = env.string("PRESIGND_CLOUDFRONT_TRUSTED_KEYS")
        for entry in (trusted ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0.trimmingSpaces()) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy(isKeyIDByte) else {
                try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_TRUSTED_KEYS", problem: "expected KEYID=/path/public.pem, comma-separated"))
                continue
            }
            guard let pem = env.readFile(parts[1]) else {
                try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_TRUSTED_KEYS", problem: "cannot read \(parts[1])"))
                continue
            }
            if let key = try? AsymmetricKey.privateKey(pem: pem) {
                keys[parts[0]] = key
                privateKeyPEMs.append(Array(pem.utf8))
                continue
            }
            guard let key = try? AsymmetricKey.publicKey(pem: pem) else {
                try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_TRUSTED_KEYS", problem: "\(parts[1]) is not a PEM public key, certificate or private key"))
                continue
            }
            keys[parts[0]] = key
        }
        guard let signing, let keyPairID, let path else {
            // Reported already (the environment collects problems); named again for one that throws.
            throw ConfigError(variable: "PRESIGND_CLOUDFRONT_KEY_PAIR_ID", problem: "no CloudFront signing key")
        }
        return CloudFrontConfig(signer: signing.signer, verifierKeys: keys, privateKeyPEMs: privateKeyPEMs, entries: [
            ConfigEntry("PRESIGND_CLOUDFRONT_KEY_PAIR_ID", keyPairID),
            ConfigEntry("PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", path),
            ConfigEntry("PRESIGND_CLOUDFRONT_TRUSTED_KEYS", trusted ?? "(none: only the signing key)"),
        ])
    }

    /// The signing key, or nil with its problems reported.
    static func signingKey(_ env: Environment, keyPairID: String?, path: String?) throws(ConfigError)
        -> (signer: CloudFrontSigner, key: AsymmetricKey, pem: [UInt8])? {
        var valid = true
        if keyPairID == nil {
            try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_KEY_PAIR_ID", problem: "required when PRESIGND_CDN_DOMAIN is set"))
            valid = false
        } else if let keyPairID, !keyPairID.utf8.allSatisfy(isKeyIDByte) {
            try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_KEY_PAIR_ID", problem: "expected a key id such as K2JCJMDEHXQW5F (letters, digits, - and _)"))
            valid = false
        }
        guard let path else {
            return try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", problem: "required when PRESIGND_CDN_DOMAIN is set"), fallback: nil)
        }
        guard let pem = env.readFile(path) else {
            return try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", problem: "cannot read the file \(path)"), fallback: nil)
        }
        do {
            let key = try AsymmetricKey.privateKey(pem: pem)
            guard valid, let keyPairID else { return nil }
            return (try CloudFrontSigner(keyPairID: keyPairID, privateKeyPEM: pem), key, Array(pem.utf8))
        } catch {
            return try env.refuse(ConfigError(variable: "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE", problem: "\(path) is not a PEM RSA or ECDSA private key"),
                                  fallback: nil)
        }
    }

    package var verifier: CloudFrontVerifier { CloudFrontVerifier(keys: verifierKeys) }

    static func isKeyIDByte(_ byte: UInt8) -> Bool {
        ASCII.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
