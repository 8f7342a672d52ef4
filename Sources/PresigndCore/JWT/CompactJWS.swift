/// A JWS in compact serialisation, split and decoded but not yet trusted (RFC 7515 §7.1).
/// Lengths and the alphabet are checked before anything is decoded.
public struct CompactJWS: Sendable {
    /// Tokens larger than this are refused unread.
    public static let maxLength = 8_192

    public let algorithm: JWSAlgorithm
    public let keyID: String?
    public let header: JSONObject
    /// The decoded payload: JWT claims, or any bytes for a bare JWS.
    public let payload: [UInt8]
    public let signature: [UInt8]
    /// `BASE64URL(header) '.' BASE64URL(payload)`, the bytes the signature covers.
    public let signingInput: [UInt8]

    public static func parse(_ token: String) throws(JWTRefusal) -> CompactJWS {
        let bytes = Array(token.utf8)
        guard bytes.count <= maxLength else { throw .tooLarge }
        var dots = (first: 0, second: 0), dotCount = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard isTokenByte(byte) else { throw .malformed }
            guard byte == UInt8(ascii: ".") else { continue }
            dotCount += 1
            if dotCount == 1 { dots.first = index } else { dots.second = index }
        }
        guard dotCount == 2 else { throw .malformed }
        // Decoded straight from the token's bytes; an empty header or signature part is malformed.
        let (headerBytes, payloadPart, signaturePart) = bytes.withUnsafeBufferPointer { all in
            (dots.first == 0 ? nil : Base64.decodeURL(UnsafeBufferPointer(rebasing: all[..<dots.first])),
             Base64.decodeURL(UnsafeBufferPointer(rebasing: all[(dots.first + 1)..<dots.second])),
             dots.second + 1 == all.count ? nil : Base64.decodeURL(UnsafeBufferPointer(rebasing: all[(dots.second + 1)...])))
        }
        guard let headerBytes else { throw .malformed }
        guard let headerValue = try? JSONParser(rejectDuplicateKeys: true, maxDepth: 8).parse(headerBytes),
              let header = headerValue.objectValue
        else { throw .headerInvalid }
        // Read before the signature part, so an unsigned `alg: none` token is named as such.
        let algorithm = try readAlgorithm(header)
        guard let payload = payloadPart, let signature = signaturePart else { throw .malformed }
        // We implement no JWS extension, so any critical one makes the token unverifiable (§4.1.11).
        guard header["crit"] == nil else { throw .unsupportedCrit }
        // RFC 7797: `b64: false` changes what the signature covers and is only valid with
        // `crit`; we support no unencoded payloads, so even `b64: true` is refused, not guessed at.
        guard header["b64"] == nil else { throw .unsupportedB64 }
        var keyID: String? = nil
        if let kid = header["kid"] {
            guard let text = kid.stringValue else { throw .badKid }
            keyID = text
        }
        return CompactJWS(algorithm: algorithm, keyID: keyID, header: header, payload: payload,
                          signature: signature, signingInput: Array(bytes[..<dots.second]))
    }

    static func readAlgorithm(_ header: JSONObject) throws(JWTRefusal) -> JWSAlgorithm {
        guard let value = header["alg"] else { throw .missingAlg }
        guard let name = value.stringValue else { throw .unsupportedAlg }
        // Any spelling of none ("none", "None", "NONE") gets its own refusal, for the log.
        if name.lowercased() == "none" { throw .algNone }
        guard let algorithm = JWSAlgorithm.named(name) else { throw .unsupportedAlg }
        return algorithm
    }

    /// The base64url alphabet and the separator; padding and whitespace are not JWS.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
