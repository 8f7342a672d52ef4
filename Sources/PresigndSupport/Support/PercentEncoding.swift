/// RFC 3986 percent-encoding as AWS signs it: only `A-Za-z0-9-_.~` stay as they are.
package enum PercentEncoding {
    @inline(__always)
    package static func upperHexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") - 10 + nibble }

    @inline(__always)
    package static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes every byte but the unreserved ones; `keepSlash` leaves `/` alone (S3 object paths).
    package static func encode(_ string: String, keepSlash: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count + 8)
        append(string, keepSlash: keepSlash, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the encoding of `string` to `output` (no intermediate String).
    /// Runs of bytes that stay as they are are copied in one go: keys and upload ids are mostly
    /// such runs, and a byte-at-a-time append was a tenth of a part URL's cost.
    package static func append(_ string: String, keepSlash: Bool, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            var reserved = false
            for index in 0..<bytes.count {
                let byte = bytes[index]
                if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) { continue }
                if !reserved {  // room for the worst case once, not a growth per escape
                    output.reserveCapacity(output.count + index + 3 * (bytes.count - index))
                    reserved = true
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                output.append(UInt8(ascii: "%"))
                output.append(upperHexDigit(byte >> 4))
                output.append(upperHexDigit(byte & 0x0F))
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
    }

    /// Decodes `%XX`; nil when an escape is malformed or the result is not UTF-8.
    package static func decode(_ string: String) -> String? {
        decodeBytes(Array(string.utf8), plusAsSpace: false)
    }

    /// Decodes a form/query component, where `+` means a space.
    package static func decodeFormComponent(_ string: String) -> String? {
        decodeBytes(Array(string.utf8), plusAsSpace: true)
    }

    package static func decodeBytes(_ bytes: [UInt8], plusAsSpace: Bool) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else { return nil }
                output.append(high << 4 | low)
                i += 3
            } else {
                output.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return UTF8Text.validating(output)
    }

    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
