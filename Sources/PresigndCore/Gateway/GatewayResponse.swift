/// Turns an `HTTPResponse` into what FastCGI and CGI expect on stdout: a `Status:` line, header
/// lines, a blank line, the body.
public enum GatewayResponse {
    public static func serialize(_ response: HTTPResponse) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + response.body.count)
        out.append(contentsOf: "Status: \(response.status) \(HTTPResponse.reasonPhrase(response.status))\r\n".utf8)
        var hasLength = false
        for (name, value) in response.headers {
            // A CR or LF would let a value start a header of its own: such a field is dropped.
            guard isSafeName(name), isSafeValue(value) else { continue }
            if name.lowercased() == "content-length" { hasLength = true }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !hasLength { out.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8) }
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: response.body)
        return out
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }

    static func isSafeValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }
}
