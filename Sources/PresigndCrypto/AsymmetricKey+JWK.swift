internal import CCrypto

/// Public keys built from the raw numbers a JWK carries (RFC 7517/7518/8037), through
/// OSSL_PARAM_BLD and EVP_PKEY_fromdata, so no DER is assembled by hand.
extension AsymmetricKey {
    /// An RSA public key from its modulus and exponent, big-endian without sign.
    package static func rsaPublicKey(modulus: [UInt8], exponent: [UInt8]) throws -> AsymmetricKey {
        guard !modulus.isEmpty, !exponent.isEmpty, exponent.count <= 8 else {
            throw CryptoError.unreadableKey("an RSA key needs a modulus and a small exponent")
        }
        let n = try bigNumber(modulus)
        defer { BN_free(n) }
        let e = try bigNumber(exponent)
        defer { BN_free(e) }
        return try fromData(type: "RSA") { builder in
            OSSL_PARAM_BLD_push_BN(builder, ParamName.rsaN, n) == 1
                && OSSL_PARAM_BLD_push_BN(builder, ParamName.rsaE, e) == 1
        }
    }

    /// An EC public key on `curve` ("P-256", "P-384", "P-521") from its affine coordinates,
    /// each exactly as long as the curve's field; points off the curve are refused.
    package static func ecPublicKey(curve: String, x: [UInt8], y: [UInt8]) throws -> AsymmetricKey {
        let groups = ["P-256": ("prime256v1", 32), "P-384": ("secp384r1", 48), "P-521": ("secp521r1", 66)]
        guard let (group, size) = groups[curve] else { throw CryptoError.unreadableKey("unsupported curve \(curve)") }
        guard x.count == size, y.count == size else {
            throw CryptoError.unreadableKey("\(curve) coordinates must be \(size) bytes each")
        }
        let point = [0x04] + x + y  // SEC1 uncompressed form
        let key = try group.withCString { groupName in
            try point.withUnsafeBytes { pointBytes in
                // The builder keeps these pointers until to_param, which runs inside fromData.
                try fromData(type: "EC") { builder in
                    OSSL_PARAM_BLD_push_utf8_string(builder, ParamName.group, groupName, 0) == 1
                        && OSSL_PARAM_BLD_push_octet_string(builder, ParamName.publicKey, pointBytes.baseAddress, pointBytes.count) == 1
                }
            }
        }
        guard key.passesPublicCheck() else { throw CryptoError.unreadableKey("the point is not on \(curve)") }
        return key
    }

    /// An Ed25519 public key from its 32 raw bytes.
    package static func ed25519PublicKey(_ raw: [UInt8]) throws -> AsymmetricKey {
        guard raw.count == 32 else { throw CryptoError.unreadableKey("an Ed25519 public key is 32 bytes") }
        let pkey = raw.withUnsafeBufferPointer { EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, $0.baseAddress, $0.count) }
        guard let pkey else { throw CryptoError.unreadableKey("not an Ed25519 public key (\(lastOpenSSLError()))") }
        return AsymmetricKey(takingOwnershipOf: pkey, isPrivate: false)
    }

    /// Runs libcrypto's own public-key validation (for EC: the point is on the curve).
    func passesPublicCheck() -> Bool {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { return false }
        defer { EVP_PKEY_CTX_free(ctx) }
        let ok = EVP_PKEY_public_check(ctx) == 1
        ERR_clear_error()
        return ok
    }

    private static func bigNumber(_ bytes: [UInt8]) throws -> OpaquePointer {
        let bn = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        guard let bn else { throw CryptoError.unreadableKey("a number could not be read") }
        return bn
    }

    private static func fromData(type: String, _ push: (OpaquePointer) -> Bool) throws -> AsymmetricKey {
        guard let builder = OSSL_PARAM_BLD_new() else { throw CryptoError.unreadableKey("out of memory") }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard push(builder), let params = OSSL_PARAM_BLD_to_param(builder) else {
            throw CryptoError.unreadableKey("the \(type) key parameters were refused (\(lastOpenSSLError()))")
        }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { throw CryptoError.unreadableKey("no \(type) support") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer? = nil
        guard EVP_PKEY_fromdata_init(ctx) == 1,
              EVP_PKEY_fromdata(ctx, &pkey, presignd_EVP_PKEY_PUBLIC_KEY(), params) == 1,
              let pkey
        else {
            throw CryptoError.unreadableKey("not a valid \(type) public key (\(lastOpenSSLError()))")
        }
        return AsymmetricKey(takingOwnershipOf: pkey, isPrivate: false)
    }
}

/// Parameter names as C strings that live as long as the process: OSSL_PARAM_BLD keeps the
/// name pointers it is given, and a bridged Swift string would dangle after the call.
enum ParamName {
    // Safe: written once by the static initialiser, never mutated or freed, only read.
    nonisolated(unsafe) static let rsaN = strdup(OSSL_PKEY_PARAM_RSA_N)!
    nonisolated(unsafe) static let rsaE = strdup(OSSL_PKEY_PARAM_RSA_E)!
    nonisolated(unsafe) static let group = strdup(OSSL_PKEY_PARAM_GROUP_NAME)!
    nonisolated(unsafe) static let publicKey = strdup(OSSL_PKEY_PARAM_PUB_KEY)!
}
