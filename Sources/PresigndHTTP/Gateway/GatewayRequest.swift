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

/// One param's name and value as bytes, borrowed from memory that outlives the parse: libfcgi's
/// request, the process environment, or a buffer the caller holds. Reading the head from these
/// copies only what it keeps (header values, the path), not every param into a `GatewayParam`.
package struct RawGatewayParam {
    package let name: UnsafeBufferPointer<UInt8>
    package let value: UnsafeBufferPointer<UInt8>

    package init(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        self.name = name
        self.value = value
    }

    /// Whether the name is `literal` (ASCII).
    func isNamed(_ literal: StaticString) -> Bool {
        guard name.count == literal.utf8CodeUnitCount else { return false }
        let known = literal.utf8Start
        for index in 0..<name.count where name[index] != known[index] { return false }
        return true
    }
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

    /// Reads the head; refuses what no route could use with a 4xx naming the problem.
    package static func parse(_ params: [GatewayParam], limits: GatewayLimits) throws(APIError) -> GatewayRequestHead {
        var storage: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for param in params {
            let nameStart = storage.count
            storage += param.name.utf8
            let valueStart = storage.count
            storage += param.value
            spans.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        let head = storage.withUnsafeBufferPointer { all in
            let raw = spans.map { RawGatewayParam(name: UnsafeBufferPointer(rebasing: all[$0.name]), value: UnsafeBufferPointer(rebasing: all[$0.value])) }
            return Result { () throws(APIError) in try parse(raw: raw, limits: limits) }
        }
        return try head.get()
    }

    /// Reads the head from params borrowed for the call; what it keeps is copied.
    package static func parse<Params: Sequence<RawGatewayParam>>(raw params: Params, limits: GatewayLimits) throws(APIError) -> GatewayRequestHead {
        var total = 0
        var method: UnsafeBufferPointer<UInt8>?, requestURI: UnsafeBufferPointer<UInt8>?, documentURI: UnsafeBufferPointer<UInt8>?
        var scriptName: UnsafeBufferPointer<UInt8>?, pathInfo: UnsafeBufferPointer<UInt8>?, contentLength: UnsafeBufferPointer<UInt8>?
        var query = UnsafeBufferPointer<UInt8>(start: nil, count: 0), remoteAddress = ""
        var headers = HTTPHeaders()
        for param in params {
            total += param.name.count + param.value.count
            // Most params are headers, and no other name starts with HTTP_: those first.
            if isHeaderParam(param.name) {
                headers.add(headerName(param.name), String(decoding: param.value, as: UTF8.self))
                continue
            }
            switch param.name.count {  // every name below is 9, 11, 12 or 14 bytes long
            case 9:
                if param.isNamed("PATH_INFO") { pathInfo = param.value }
            case 11:
                if param.isNamed("REQUEST_URI") {
                    requestURI = param.value
                } else if param.isNamed("SCRIPT_NAME") {
                    scriptName = param.value
                } else if param.isNamed("REMOTE_ADDR") {
                    remoteAddress = String(decoding: param.value, as: UTF8.self)
                }
            case 12:
                if param.isNamed("DOCUMENT_URI") {
                    documentURI = param.value
                } else if param.isNamed("QUERY_STRING") {
                    query = param.value
                } else if param.isNamed("CONTENT_TYPE"), !param.value.isEmpty {
                    headers.add("content-type", String(decoding: param.value, as: UTF8.self))
                }
            case 14:
                if param.isNamed("REQUEST_METHOD") {
                    method = param.value
                } else if param.isNamed("CONTENT_LENGTH"), !param.value.isEmpty {
                    contentLength = param.value
                    headers.add("content-length", String(decoding: param.value, as: UTF8.self))
                }
            default:
                break
            }
        }
        if total > limits.headerLimit {
            throw APIError(status: 431, code: .headersTooLarge,
                           message: "the request headers are \(total) bytes; the limit is \(limits.headerLimit)")
        }
        guard let method, isToken(method) else {
            throw .badRequest(.badMethod, "the request method must be a token such as GET or POST")
        }
        let path = try requestPath(requestURI: requestURI, documentURI: documentURI, scriptName: scriptName,
                                   pathInfo: pathInfo, limit: limits.pathLimit)
        guard let queryText = UTF8Text.validating(query) else {
            throw .badRequest(.badQuery, "the query string is not valid UTF-8")
        }
        return GatewayRequestHead(
            method: String(decoding: method, as: UTF8.self), path: path, query: queryText, headers: headers,
            remoteAddress: remoteAddress, contentLength: try parseContentLength(contentLength))
    }

    /// The `X-Request-ID` header among `params`, for a request refused before it was parsed.
    package static func requestID<Params: Sequence<RawGatewayParam>>(in params: Params) -> String? {
        params.first { $0.isNamed("HTTP_X_REQUEST_ID") }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// The raw path from REQUEST_URI (still percent-encoded, as the router wants it); servers that
    /// send none get SCRIPT_NAME + PATH_INFO or DOCUMENT_URI, re-encoded because CGI decodes them.
    static func requestPath(
        requestURI: UnsafeBufferPointer<UInt8>?, documentURI: UnsafeBufferPointer<UInt8>?, scriptName: UnsafeBufferPointer<UInt8>?,
        pathInfo: UnsafeBufferPointer<UInt8>?, limit: Int
    ) throws(APIError) -> String {
        var raw: [UInt8]
        var decoded = false
        if let requestURI, requestURI.first == UInt8(ascii: "/") {
            raw = Array(requestURI.prefix { $0 != UInt8(ascii: "?") })
        } else if scriptName != nil || pathInfo != nil {
            raw = Array(scriptName ?? UnsafeBufferPointer(start: nil, count: 0)) + Array(pathInfo ?? UnsafeBufferPointer(start: nil, count: 0))
            decoded = true
        } else if let documentURI {
            raw = Array(documentURI)
            decoded = true
        } else {
            throw .badRequest(.badPath, "the request has no path (REQUEST_URI, SCRIPT_NAME or DOCUMENT_URI)")
        }
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

    static func parseContentLength(_ value: UnsafeBufferPointer<UInt8>?) throws(APIError) -> Int? {
        guard let value else { return nil }
        guard value.count <= 18, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let length = Int(String(decoding: value, as: UTF8.self)) else {
            throw .badRequest(.badContentLength, "Content-Length must be a whole number of bytes")
        }
        return length
    }

    /// Whether `name` is `HTTP_` followed by at least one byte.
    static func isHeaderParam(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count > 5 && name[0] == UInt8(ascii: "H") && name[1] == UInt8(ascii: "T") && name[2] == UInt8(ascii: "T")
            && name[3] == UInt8(ascii: "P") && name[4] == UInt8(ascii: "_")
    }

    /// `HTTP_X_REQUEST_ID` → `x-request-id` (bytes that are not UTF-8 are repaired, as `String(decoding:)` does).
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
