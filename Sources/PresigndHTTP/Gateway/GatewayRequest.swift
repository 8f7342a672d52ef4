import PresigndSupport

/// Limits applied while turning a web server's request into an `HTTPRequest`.
package struct GatewayLimits: Sendable, Equatable {
    package var bodyLimit: Int
    package var headerLimit: Int
    /// Longest path accepted, checked before the body is read: the API's one path limit
    /// (`RequestLimits.maxPathBytes` has the same default and answers the same 414).
    package var pathLimit: Int

    /// The path limit of the API, at the gateway and in the application.
    package static let defaultPathLimit = 2_048

    package init(bodyLimit: Int = 65536, headerLimit: Int = 32768, pathLimit: Int = GatewayLimits.defaultPathLimit) {
        self.bodyLimit = bodyLimit
        self.headerLimit = headerLimit
        self.pathLimit = pathLimit
    }
}

/// One `NAME=value` pair as FastCGI params or the CGI environment carry it. The value stays bytes
/// so a non-UTF-8 path can be refused instead of silently repaired.
package struct GatewayParam: Sendable, Equatable {
    package var name: String
    package var value: [UInt8]

    package init(_ name: String, _ value: [UInt8]) {
        self.name = name
        self.value = value
    }

    package init(_ name: String, _ value: String) { self.init(name, Array(value.utf8)) }
}

/// One param's name and value, borrowed for the length of one call from memory the gateway
/// holds: libfcgi's request, the process environment, or a `GatewayParam` array. The type is
/// `~Escapable`: the compiler refuses any attempt to keep it (or its spans) past that call, so
/// what the head keeps is copied and nothing of the C memory outlives the request.
package struct RawGatewayParam: ~Escapable {
    package let name: Span<UInt8>
    package let value: Span<UInt8>

    @_lifetime(copy name, copy value)
    package init(name: Span<UInt8>, value: Span<UInt8>) {
        self.name = name
        self.value = value
    }

    /// Whether the name is `literal` (ASCII).
    func isNamed(_ literal: StaticString) -> Bool {
        guard name.count == literal.utf8CodeUnitCount else { return false }
        let known = literal.utf8Start
        for index in 0..<name.count where name[unchecked: index] != known[index] { return false }
        return true
    }
}

/// Params a gateway lends one at a time, each only for the call it is handed to.
package protocol GatewayParams {
    /// Calls `body` with each param in order until it answers false. May be called again.
    func forEachParam(_ body: (borrowing RawGatewayParam) -> Bool)
}

extension Array: GatewayParams where Element == GatewayParam {
    package func forEachParam(_ body: (borrowing RawGatewayParam) -> Bool) {
        for param in self where !body(RawGatewayParam(name: param.name.utf8.span, value: param.value.span)) { return }
    }
}

/// `NAME=value` entries separated by NUL bytes in one buffer (libfcgi's strings end to end), lent
/// in place the way the FastCGI adapter lends its own: what tests and the fuzzer parse, so they
/// take the server's borrowed path. Entries without `=` are skipped.
package struct PackedGatewayParams: GatewayParams {
    package let bytes: [UInt8]

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package func forEachParam(_ body: (borrowing RawGatewayParam) -> Bool) {
        bytes.withUnsafeBufferPointer { all in
            for entry in all.split(separator: 0, omittingEmptySubsequences: false) {
                guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = UnsafeBufferPointer(rebasing: all[entry.startIndex..<equals])
                let value = UnsafeBufferPointer(rebasing: all[(equals + 1)..<entry.endIndex])
                guard body(RawGatewayParam(name: name.span, value: value.span)) else { return }
            }
        }
    }
}

extension Span<UInt8> {
    /// The bytes as text, repaired where they are not UTF-8.
    var decodedText: String { withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }

    /// A copy of the bytes.
    var bytes: [UInt8] { withUnsafeBufferPointer { Array($0) } }
}

/// The request head (everything but the body) read from FastCGI params or the CGI environment.
package struct GatewayRequestHead: Sendable {
    package var method: String
    package var path: String
    package var query: String
    package var headers: HTTPHeaders
    package var remoteAddress: String
    /// CONTENT_LENGTH, nil when the server sent none (the body then runs to end of input).
    package var contentLength: Int?

    /// Reads the head; refuses what no route could use with a 4xx naming the problem. What it
    /// keeps is copied out of the borrowed params as it goes.
    package static func parse(_ params: some GatewayParams, limits: GatewayLimits) throws(APIError) -> GatewayRequestHead {
        var total = 0
        var method: String?, methodIsToken = false, requestPath: [UInt8]?
        var query = "", queryIsText = true, remoteAddress = ""
        var contentLength: Int?, contentLengthIsNumber = true
        var headers = HTTPHeaders()
        params.forEachParam { param in
            total += param.name.count + param.value.count
            // Most params are headers, and no other name starts with HTTP_: those first.
            if isHeaderParam(param.name) {
                headers.add(headerName(param.name), param.value.decodedText)
                return true
            }
            switch param.name.count {  // every name below is 11, 12 or 14 bytes long
            case 11:
                if param.isNamed("REQUEST_URI") {
                    // Only a URI that is a path is used; without one the path is looked for below.
                    if param.value.count > 0 && param.value[0] == UInt8(ascii: "/") {
                        requestPath = param.value.withUnsafeBufferPointer { Array($0.prefix { $0 != UInt8(ascii: "?") }) }
                    }
                } else if param.isNamed("REMOTE_ADDR") {
                    remoteAddress = param.value.decodedText
                }
            case 12:
                if param.isNamed("QUERY_STRING") {
                    let text = param.value.withUnsafeBufferPointer { UTF8Text.validating($0) }
                    query = text ?? ""
                    queryIsText = text != nil
                } else if param.isNamed("CONTENT_TYPE"), !param.value.isEmpty {
                    headers.add("content-type", param.value.decodedText)
                }
            case 14:
                if param.isNamed("REQUEST_METHOD") {
                    methodIsToken = param.value.withUnsafeBufferPointer(isToken)
                    method = param.value.decodedText
                } else if param.isNamed("CONTENT_LENGTH"), !param.value.isEmpty {
                    contentLength = param.value.withUnsafeBufferPointer(parseContentLength)
                    contentLengthIsNumber = contentLength != nil
                    headers.add("content-length", param.value.decodedText)
                }
            default:
                break
            }
            return true
        }
        if total > limits.headerLimit {
            throw APIError(status: 431, code: .headersTooLarge,
                           message: "the request headers are \(total) bytes; the limit is \(limits.headerLimit)")
        }
        guard let method, methodIsToken else {
            throw .badRequest(.badMethod, "the request method must be a token such as GET or POST")
        }
        var path = (bytes: requestPath ?? [], decoded: false)
        if requestPath == nil { path = try decodedPath(params) }
        let pathText = try validatedPath(path, limit: limits.pathLimit)
        guard queryIsText else {
            throw .badRequest(.badQuery, "the query string is not valid UTF-8")
        }
        guard contentLengthIsNumber else {
            throw .badRequest(.badContentLength, "Content-Length must be a whole number of bytes")
        }
        return GatewayRequestHead(method: method, path: pathText, query: query, headers: headers,
                                  remoteAddress: remoteAddress, contentLength: contentLength)
    }

    /// The `X-Request-ID` header among `params`, for a request refused before it was parsed.
    package static func requestID(in params: some GatewayParams) -> String? {
        var found: String?
        params.forEachParam { param in
            guard param.isNamed("HTTP_X_REQUEST_ID") else { return true }
            found = param.value.decodedText
            return false
        }
        return found
    }

    /// For servers that send no REQUEST_URI path: SCRIPT_NAME + PATH_INFO, or DOCUMENT_URI, which
    /// CGI has percent-decoded (so they are encoded again once validated).
    static func decodedPath(_ params: some GatewayParams) throws(APIError) -> (bytes: [UInt8], decoded: Bool) {
        var scriptName: [UInt8]?, pathInfo: [UInt8]?, documentURI: [UInt8]?
        params.forEachParam { param in
            if param.isNamed("SCRIPT_NAME") {
                scriptName = param.value.bytes
            } else if param.isNamed("PATH_INFO") {
                pathInfo = param.value.bytes
            } else if param.isNamed("DOCUMENT_URI") {
                documentURI = param.value.bytes
            }
            return true
        }
        if scriptName != nil || pathInfo != nil { return ((scriptName ?? []) + (pathInfo ?? []), true) }
        if let documentURI { return (documentURI, true) }
        throw .badRequest(.badPath, "the request has no path (REQUEST_URI, SCRIPT_NAME or DOCUMENT_URI)")
    }

    /// The raw path (still percent-encoded, as the router wants it, unless `decoded`), checked.
    static func validatedPath(_ path: (bytes: [UInt8], decoded: Bool), limit: Int) throws(APIError) -> String {
        let (raw, decoded) = path
        if raw.count > limit {
            throw APIError(status: 414, code: .pathTooLong, message: "the path is \(raw.count) bytes; the limit is \(limit)")
        }
        guard let text = UTF8Text.validating(raw) else {
            throw .badRequest(.badPath, "the path is not valid UTF-8")
        }
        guard text.hasPrefix("/") else { throw .badRequest(.badPath, "the path must start with /") }
        if raw.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw .badRequest(.badPath, "the path contains control characters")
        }
        return decoded ? PercentEncoding.encode(text, keepSlash: true) : text
    }

    /// A Content-Length value, nil when it is not a whole number of bytes.
    static func parseContentLength(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
        guard value.count <= 18, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(String(decoding: value, as: UTF8.self))
    }

    /// Whether `name` is `HTTP_` followed by at least one byte.
    static func isHeaderParam(_ name: Span<UInt8>) -> Bool {
        name.count > 5 && name[0] == UInt8(ascii: "H") && name[1] == UInt8(ascii: "T") && name[2] == UInt8(ascii: "T")
            && name[3] == UInt8(ascii: "P") && name[4] == UInt8(ascii: "_")
    }

    /// `HTTP_X_REQUEST_ID` → `x-request-id` (bytes that are not UTF-8 are repaired, as `String(decoding:)` does).
    static func headerName(_ name: Span<UInt8>) -> String {
        name.withUnsafeBufferPointer { param in headerName(param) }
    }

    static func headerName(_ param: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: param.count - 5) { buffer in
            for (written, byte) in param.dropFirst(5).enumerated() {
                switch byte {
                case UInt8(ascii: "_"): buffer[written] = UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): buffer[written] = byte + 32
                default: buffer[written] = byte
                }
            }
            return param.count - 5
        }
    }

    static func isToken(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // RFC 9110 tchar, bounded so a silly method cannot grow without end.
        guard !bytes.isEmpty, bytes.count <= 32 else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
    }
}
