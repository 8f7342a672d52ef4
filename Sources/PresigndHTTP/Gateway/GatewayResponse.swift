import PresigndSupport

/// Turns an `HTTPResponse` into what FastCGI and CGI expect on stdout: a `Status:` line, header
/// lines, a blank line, the body.
package enum GatewayResponse {
    package static func serialize(_ response: HTTPResponse) -> [UInt8] {
        var out: [UInt8] = []
        // The whole answer at once: long headers (three CloudFront cookies) would otherwise grow it.
        out.reserveCapacity(response.headers.fields.reduce(128 + response.body.count) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        out.append(contentsOf: "Status: ".utf8)
        appendDecimal(response.status, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: HTTPResponse.reasonPhrase(response.status).utf8)
        out.append(contentsOf: "\r\n".utf8)
        var hasLength = false
        for (name, value) in response.headers {
            var name = name, value = value
            // A CR or LF would let a value start a header of its own: such a field is dropped.
            name.withUTF8 { nameBytes in
                value.withUTF8 { valueBytes in
                    guard isSafeName(nameBytes), isSafeValue(valueBytes) else { return }
                    if isContentLength(nameBytes) { hasLength = true }
                    out.append(contentsOf: nameBytes)
                    out.append(contentsOf: ": ".utf8)
                    out.append(contentsOf: valueBytes)
                    out.append(contentsOf: "\r\n".utf8)
                }
            }
        }
        if !hasLength {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: response.body)
        return out
    }

    /// `String(number)`'s bytes.
    static func appendDecimal(_ number: Int, to out: inout [UInt8]) {
        if number < 0 || number >= 1_000_000_000 {
            out.append(contentsOf: String(number).utf8)
            return
        }
        var digits = (UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0))
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = number, start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: buffer[start...])
        }
    }

    /// `name.lowercased() == "content-length"` for a name already known to be ASCII.
    static func isContentLength(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count == 14 else { return false }
        return zip(name, "content-length".utf8).allSatisfy { HTTPHeaders.lowerASCII($0) == $1 }
    }

    static func isSafeName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        !name.isEmpty && name.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }

    /// No control byte but tab (a CR or LF would end the field early). Eight bytes at a time
    /// while none of them is below 0x20 or DEL (1.5 KB of CloudFront cookies per cdn-cookies
    /// answer); a word with one, and the tail, go byte by byte.
    static func isSafeValue(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index + 8 <= value.count {
            let word = ByteWord.load(value, at: index)
            if ByteWord.below(0x20, in: word) | ByteWord.equal(0x7F, in: word) != 0 { break }
            index += 8
        }
        return UnsafeBufferPointer(rebasing: value[index...]).allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }
}
