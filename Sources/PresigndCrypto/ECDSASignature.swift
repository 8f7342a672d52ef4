/// ECDSA signatures in the two shapes that meet here: JOSE's fixed-length `r || s` (RFC 7518
/// §3.4) and the DER `SEQUENCE { INTEGER r, INTEGER s }` libcrypto reads and writes.
/// Both directions are strict, so a signature has exactly one accepted spelling.
package enum ECDSASignature {
    /// DER from JOSE `r || s`; nil unless `raw` is exactly two `coordinateSize` halves, both non-zero.
    package static func der(fromRaw raw: [UInt8], coordinateSize: Int) -> [UInt8]? {
        guard coordinateSize > 0, raw.count == 2 * coordinateSize else { return nil }
        guard let r = derInteger(raw[0..<coordinateSize]), let s = derInteger(raw[coordinateSize...]) else { return nil }
        return [0x30] + derLength(r.count + s.count) + r + s
    }

    /// JOSE `r || s` from strict DER; nil for any non-minimal, negative, oversized or trailing encoding.
    package static func raw(fromDER der: [UInt8], coordinateSize: Int) -> [UInt8]? {
        var reader = DERReader(bytes: der)
        guard let sequence = reader.element(tag: 0x30), reader.atEnd else { return nil }
        var inner = DERReader(bytes: Array(sequence))
        guard let r = inner.element(tag: 0x02), let s = inner.element(tag: 0x02), inner.atEnd else { return nil }
        guard let rFixed = fixedWidth(r, coordinateSize), let sFixed = fixedWidth(s, coordinateSize) else { return nil }
        return rFixed + sFixed
    }

    static func derInteger(_ value: ArraySlice<UInt8>) -> [UInt8]? {
        var digits = value.drop { $0 == 0 }
        if digits.isEmpty { return nil }  // r and s are never zero in a valid signature
        if digits.first! >= 0x80 { digits = [0] + digits }
        return [0x02] + derLength(digits.count) + digits
    }

    static func derLength(_ count: Int) -> [UInt8] {
        count < 0x80 ? [UInt8(count)] : [0x81, UInt8(count)]  // ECDSA values never reach 256 bytes
    }

    /// A positive minimal INTEGER's content, left-padded to `size` bytes.
    static func fixedWidth(_ content: ArraySlice<UInt8>, _ size: Int) -> [UInt8]? {
        guard let first = content.first, first < 0x80 else { return nil }  // empty or negative
        if first == 0, content.count > 1, content[content.startIndex + 1] < 0x80 { return nil }  // non-minimal
        let digits = content.drop { $0 == 0 }
        guard !digits.isEmpty, digits.count <= size else { return nil }
        return [UInt8](repeating: 0, count: size - digits.count) + digits
    }
}

/// Reads DER tag-length-value elements with definite, minimal lengths.
struct DERReader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func element(tag: UInt8) -> ArraySlice<UInt8>? {
        guard index + 2 <= bytes.count, bytes[index] == tag else { return nil }
        var length = Int(bytes[index + 1])
        index += 2
        if length == 0x81 {
            guard index < bytes.count, bytes[index] >= 0x80 else { return nil }  // long form only when needed
            length = Int(bytes[index])
            index += 1
        } else if length > 0x80 {
            return nil  // lengths this large never occur in an ECDSA signature
        } else if length == 0x80 {
            return nil  // indefinite length is BER, not DER
        }
        guard index + length <= bytes.count else { return nil }
        defer { index += length }
        return bytes[index..<index + length]
    }
}
