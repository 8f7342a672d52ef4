/// Base64 (RFC 4648) in the standard and URL-safe alphabets, with strict decoding.
package enum Base64 {
    static let standardAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// For byte arrays (the signer's, the verifier's) a concrete function: a generic one called
    /// from another target runs unspecialised.
    package static func encode(_ bytes: [UInt8], urlSafe: Bool = false, padded: Bool = true) -> String {
        bytes.withUnsafeBufferPointer { encode($0, alphabet: urlSafe ? urlAlphabet : standardAlphabet, padded: padded) }
    }

    package static func encode<Bytes: Collection>(_ bytes: Bytes, urlSafe: Bool = false, padded: Bool = true) -> String
    where Bytes.Element == UInt8 {
        let alphabet = urlSafe ? urlAlphabet : standardAlphabet
        if let text = bytes.withContiguousStorageIfAvailable({ encode($0, alphabet: alphabet, padded: padded) }) { return text }
        return Array(bytes).withUnsafeBufferPointer { encode($0, alphabet: alphabet, padded: padded) }
    }

    /// Writes the text straight into the String's storage.
    static func encode(_ input: UnsafeBufferPointer<UInt8>, alphabet: [UInt8], padded: Bool) -> String {
        alphabet.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: (input.count + 2) / 3 * 4) { output in
                var count = 0
                func put(_ sextet: UInt32) {
                    output[count] = table[Int(sextet & 63)]
                    count += 1
                }
                var i = 0
                while i + 3 <= input.count {
                    let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    put(n >> 18)
                    put(n >> 12)
                    put(n >> 6)
                    put(n)
                    i += 3
                }
                let rest = input.count - i
                if rest == 1 {
                    let n = UInt32(input[i]) << 16
                    put(n >> 18)
                    put(n >> 12)
                    if padded {
                        output[count] = UInt8(ascii: "=")
                        output[count + 1] = UInt8(ascii: "=")
                        count += 2
                    }
                } else if rest == 2 {
                    let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                    put(n >> 18)
                    put(n >> 12)
                    put(n >> 6)
                    if padded {
                        output[count] = UInt8(ascii: "=")
                        count += 1
                    }
                }
                return count
            }
        }
    }

    /// base64url without padding, as JOSE uses it.
    package static func encodeURL(_ bytes: [UInt8]) -> String {
        encode(bytes, urlSafe: true, padded: false)
    }

    package static func encodeURL<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        encode(bytes, urlSafe: true, padded: false)
    }

    /// Decodes strictly: one alphabet, no whitespace, padding only where it belongs (optional
    /// when `requirePadding` is false), and unused trailing bits must be zero so one text has
    /// exactly one meaning.
    package static func decode(_ string: String, urlSafe: Bool = false, requirePadding: Bool = true) -> [UInt8]? {
        var string = string
        return string.withUTF8 { decode($0, urlSafe: urlSafe, requirePadding: requirePadding) }
    }

    /// `decode(_:urlSafe:requirePadding:)` over bytes already in memory (a token's UTF-8).
    package static func decode(_ bytes: UnsafeBufferPointer<UInt8>, urlSafe: Bool = false, requirePadding: Bool = true) -> [UInt8]? {
        var count = bytes.count
        var padding = 0
        while count > 0, bytes[count - 1] == UInt8(ascii: "=") {
            count -= 1
            padding += 1
        }
        if padding > 2 { return nil }
        if padding > 0 || requirePadding {
            guard (count + padding) % 4 == 0 else { return nil }
        }
        if count % 4 == 1 { return nil }
        let table = urlSafe ? urlSextets : standardSextets
        var output: [UInt8] = []
        output.reserveCapacity(count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for index in 0..<count {
            let value = table[Int(bytes[index])]
            guard value != invalidSextet else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (rejects non-canonical encodings).
        if bits > 0, buffer & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return output
    }

    static let invalidSextet: UInt8 = 0xFF
    /// Each byte's sextet in one alphabet, `invalidSextet` where it is not in it.
    static let standardSextets: [UInt8] = (0...255).map { sextet(UInt8($0), urlSafe: false) ?? invalidSextet }
    static let urlSextets: [UInt8] = (0...255).map { sextet(UInt8($0), urlSafe: true) ?? invalidSextet }

    /// base64url, padding optional, over bytes already in memory.
    package static func decodeURL(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        decode(bytes, urlSafe: true, requirePadding: false)
    }

    /// base64url, padding optional, as JOSE uses it.
    package static func decodeURL(_ string: String) -> [UInt8]? {
        decode(string, urlSafe: true, requirePadding: false)
    }

    static func sextet(_ char: UInt8, urlSafe: Bool) -> UInt8? {
        switch char {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return char - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return char - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where !urlSafe: return 62
        case UInt8(ascii: "/") where !urlSafe: return 63
        case UInt8(ascii: "-") where urlSafe: return 62
        case UInt8(ascii: "_") where urlSafe: return 63
        default: return nil
        }
    }
}
