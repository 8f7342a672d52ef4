import Synchronization
import PresigndCrypto
import PresigndHTTP
package import PresigndSupport

/// A JWS in compact serialisation, split and decoded but not yet trusted (RFC 7515 §7.1).
/// Lengths and the alphabet are checked before anything is decoded.
package struct CompactJWS: Sendable {
    /// Tokens larger than this are refused unread.
    package static let maxLength = 8_192

    package let algorithm: JWSAlgorithm
    package let keyID: String?
    package let header: JSONObject
    /// The decoded payload: JWT claims, or any bytes for a bare JWS.
    package let payload: [UInt8]
    package let signature: [UInt8]
    /// `BASE64URL(header) '.' BASE64URL(payload)`, the bytes the signature covers.
    package let signingInput: [UInt8]

    /// `headers` keeps protected headers already read (the verifier's own cache); nil reads every one.
    package static func parse(_ token: String, headers: ProtectedHeader.Cache? = nil) throws(JWTRefusal) -> CompactJWS {
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
        guard dots.first > 0 else { throw .malformed }  // an empty header part
        // Decoded straight from the token's bytes; an empty payload or signature part is malformed.
        let (payloadPart, signaturePart) = bytes.withUnsafeBufferPointer { all in
            (Base64.decodeURL(UnsafeBufferPointer(rebasing: all[(dots.first + 1)..<dots.second])),
             dots.second + 1 == all.count ? nil : Base64.decodeURL(UnsafeBufferPointer(rebasing: all[(dots.second + 1)...])))
        }
        let encodedHeader = bytes[..<dots.first]
        let protected: ProtectedHeader
        if let cached = headers?.lookup(encodedHeader) {
            protected = cached
        } else {
            // Read before the signature part, so an unsigned `alg: none` token is named as such.
            protected = try ProtectedHeader.read(encodedHeader)
            headers?.insert(protected, for: encodedHeader)
        }
        guard let payload = payloadPart, let signature = signaturePart else { throw .malformed }
        return CompactJWS(algorithm: protected.algorithm, keyID: protected.keyID, header: protected.header, payload: payload,
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

/// A JWS protected header that passed every check `CompactJWS.parse` makes of a header.
package struct ProtectedHeader: Sendable {
    let algorithm: JWSAlgorithm
    let keyID: String?
    let header: JSONObject

    /// Decodes and checks the base64url header part. The order of the checks names the refusal:
    /// a missing or unsupported `alg` (or `none`) before `crit` and `b64`.
    static func read(_ encoded: ArraySlice<UInt8>) throws(JWTRefusal) -> ProtectedHeader {
        guard let bytes = encoded.withUnsafeBufferPointer({ Base64.decodeURL($0) }) else { throw .malformed }
        guard let headerValue = try? JSONParser(rejectDuplicateKeys: true, maxDepth: 8).parse(bytes),
              let header = headerValue.objectValue
        else { throw .headerInvalid }
        let algorithm = try CompactJWS.readAlgorithm(header)
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
        return ProtectedHeader(algorithm: algorithm, keyID: keyID, header: header)
    }

    /// Headers already read, by their encoded bytes. An issuer writes the same header on every
    /// token (`{"alg":"HS256","typ":"JWT"}`, or one per signing key), so decoding and parsing it
    /// (a third of parsing a token) is done once per verifier instead of once per request. Only
    /// headers that passed are kept, at most `capacity` of at most `longest` bytes, replaced in
    /// turn: unknown headers cost what they did before, never memory. Owned by a `JWTVerifier`.
    package final class Cache: Sendable {
        package init() {}

        static let capacity = 8
        static let longest = 512
        struct Entry {
            let encoded: [UInt8]
            let header: ProtectedHeader
        }
        struct Slots {
            var entries: [Entry] = []
            var next = 0
        }
        let slots = Mutex(Slots())

        func lookup(_ encoded: ArraySlice<UInt8>) -> ProtectedHeader? {
            slots.withLock { slots in
                for entry in slots.entries where entry.encoded.elementsEqual(encoded) { return entry.header }
                return nil
            }
        }

        func insert(_ header: ProtectedHeader, for encoded: ArraySlice<UInt8>) {
            guard encoded.count <= Cache.longest else { return }
            let entry = Entry(encoded: Array(encoded), header: header)
            slots.withLock { slots in
                if slots.entries.count < Cache.capacity {
                    slots.entries.append(entry)
                } else {
                    slots.entries[slots.next] = entry
                    slots.next = (slots.next + 1) % Cache.capacity
                }
            }
        }
    }
}
