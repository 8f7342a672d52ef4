/// Limits applied while turning a web server's request into an `HTTPRequest`.
public struct GatewayLimits: Sendable, Equatable {
    public var bodyLimit: Int
    public var headerLimit: Int
    /// Longest path accepted (nginx's own request line limit is 8 KiB by default).
    public var pathLimit: Int

    public init(bodyLimit: Int = 65536, headerLimit: Int = 32768, pathLimit: Int = 8192) {
        self.bodyLimit = bodyLimit
        self.headerLimit = headerLimit
        self.pathLimit = pathLimit
    }
}

/// One `NAME=value` pair as FastCGI params or the CGI environment carry it. The value stays bytes
/// so a non-UTF-8 path can be refused instead of silently repaired.
public struct GatewayParam: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]

    public init(_ name: String, _ value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) { self.init(name, Array(value.utf8)) }
}

/// The request head (everything but the body) read from FastCGI params or the CGI environment.
public struct GatewayRequestHead: Sendable {
    public var method: String
    public var path: String
    public var query: String
    public var headers: HTTPHeaders
    public var remoteAddress: String
    /// CONTENT_LENGTH, nil when the server sent none (the body then runs to end of input).
    public var contentLength: Int?

    /// Reads the head; refuses what no route could use with a 4xx naming the problem.
    /// `unreadBytes`: the size (names and values) of params left out of `params` because the
    /// head never reads them (`reads(_:)`); they still count against the header limit.
    public static func parse(_ params: [GatewayParam], limits: GatewayLimits, unreadBytes: Int = 0) throws(APIError) -> GatewayRequestHead {
        var total = unreadBytes
        var method: [UInt8]?, requestURI: [UInt8]?, documentURI: [UInt8]?, scriptName: [UInt8]?, pathInfo: [UInt8]?
        var query: [UInt8] = [], contentLength: [UInt8]?, remoteAddress = ""
        var headers = HTTPHeaders()
        for param in params {
            total += param.name.utf8.count + param.value.count
            // Most params are headers, and no other name starts with HTTP_: those first.
            if isHeaderParam(param.name) {
                headers.add(headerName(param.name), String(decoding: param.value, as: UTF8.self))
                continue
            }
            // Every name below is 9, 11, 12 or 14 bytes long: most params are skipped by length.
            let length = param.name.utf8.count
            guard length == 9 || length == 11 || length == 12 || length == 14 else { continue }
            switch param.name {
            case "REQUEST_METHOD": method = param.value
            case "REQUEST_URI": requestURI = param.value
            case "DOCUMENT_URI": documentURI = param.value
            case "SCRIPT_NAME": scriptName = param.value
            case "PATH_INFO": pathInfo = param.value
            case "QUERY_STRING": query = param.value
            case "REMOTE_ADDR": remoteAddress = String(decoding: param.value, as: UTF8.self)
            case "CONTENT_TYPE":
                if !param.value.isEmpty { headers.add("content-type", String(decoding: param.value, as: UTF8.self)) }
            case "CONTENT_LENGTH":
                if !param.value.isEmpty {
                    contentLength = param.value
                    headers.add("content-length", String(decoding: param.value, as: UTF8.self))
                }
            default:
                break
            }
        }
        if total > limits.headerLimit {
            throw APIError(status: 431, code: "headers_too_large",
                           message: "the request headers are \(total) bytes; the limit is \(limits.headerLimit)")
        }
        guard let method, isToken(method) else {
            throw .badRequest("bad_method", "the request method must be a token such as GET or POST")
        }
        let path = try requestPath(requestURI: requestURI, documentURI: documentURI, scriptName: scriptName,
                                   pathInfo: pathInfo, limit: limits.pathLimit)
        guard let queryText = UTF8Text.validating(query) else {
            throw .badRequest("bad_query", "the query string is not valid UTF-8")
        }
        return GatewayRequestHead(
            method: String(decoding: method, as: UTF8.self), path: path, query: queryText, headers: headers,
            remoteAddress: remoteAddress, contentLength: try parseContentLength(contentLength))
    }

    /// The raw path from REQUEST_URI (still percent-encoded, as the router wants it); servers that
    /// send none get SCRIPT_NAME + PATH_INFO or DOCUMENT_URI, re-encoded because CGI decodes them.
    static func requestPath(
        requestURI: [UInt8]?, documentURI: [UInt8]?, scriptName: [UInt8]?, pathInfo: [UInt8]?, limit: Int
    ) throws(APIError) -> String {
        var raw: [UInt8]
        var decoded = false
        if let requestURI, requestURI.first == UInt8(ascii: "/") {
            raw = Array(requestURI.prefix { $0 != UInt8(ascii: "?") })
        } else if scriptName != nil || pathInfo != nil {
            raw = (scriptName ?? []) + (pathInfo ?? [])
            decoded = true
        } else if let documentURI {
            raw = documentURI
            decoded = true
        } else {
            throw .badRequest("bad_path", "the request has no path (REQUEST_URI, SCRIPT_NAME or DOCUMENT_URI)")
        }
        if raw.count > limit {
            throw APIError(status: 414, code: "uri_too_long", message: "the path is \(raw.count) bytes; the limit is \(limit)")
        }
        guard let text = UTF8Text.validating(raw) else {
            throw .badRequest("bad_path", "the path is not valid UTF-8")
        }
        guard text.hasPrefix("/") else { throw .badRequest("bad_path", "the path must start with /") }
        if raw.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw .badRequest("bad_path", "the path contains control characters")
        }
        return decoded ? PercentEncoding.encode(text, keepSlash: true) : text
    }

    static func parseContentLength(_ value: [UInt8]?) throws(APIError) -> Int? {
        guard let value else { return nil }
        guard value.count <= 18, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let length = Int(String(decoding: value, as: UTF8.self)) else {
            throw .badRequest("bad_content_length", "Content-Length must be a whole number of bytes")
        }
        return length
    }

    /// Whether `parse` reads a param of this (ASCII) name: a header or one of the CGI names it knows.
    public static func reads(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if name.count > 5 && name[0] == UInt8(ascii: "H") && name[1] == UInt8(ascii: "T") && name[2] == UInt8(ascii: "T")
            && name[3] == UInt8(ascii: "P") && name[4] == UInt8(ascii: "_") {
            return true
        }
        switch name.count {
        case 9, 11, 12, 14:
            return readNames.contains { known in
                known.count == name.count && known.withUnsafeBufferPointer { known in
                    for index in 0..<name.count where known[index] != name[index] { return false }
                    return true
                }
            }
        default:
            return false
        }
    }

    static let readNames: [[UInt8]] = ["REQUEST_METHOD", "REQUEST_URI", "DOCUMENT_URI", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
                                       "REMOTE_ADDR", "CONTENT_TYPE", "CONTENT_LENGTH"].map { Array($0.utf8) }

    /// Whether `name` is `HTTP_` followed by at least one byte.
    static func isHeaderParam(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count > 5 else { return false }
        if let prefixed = utf8.withContiguousStorageIfAvailable({ bytes in
            bytes[0] == UInt8(ascii: "H") && bytes[1] == UInt8(ascii: "T") && bytes[2] == UInt8(ascii: "T")
                && bytes[3] == UInt8(ascii: "P") && bytes[4] == UInt8(ascii: "_")
        }) {
            return prefixed
        }
        return utf8.starts(with: "HTTP_".utf8)
    }

    /// `HTTP_X_REQUEST_ID` → `x-request-id`.
    static func headerName(_ param: String) -> String {
        let count = param.utf8.count - 5
        return String(unsafeUninitializedCapacity: count) { buffer in
            func write<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Int {
                var written = 0
                for byte in bytes {
                    switch byte {
                    case UInt8(ascii: "_"): buffer[written] = UInt8(ascii: "-")
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): buffer[written] = byte + 32
                    default: buffer[written] = byte
                    }
                    written += 1
                }
                return written
            }
            return param.utf8.withContiguousStorageIfAvailable { write($0.dropFirst(5)) } ?? write(param.utf8.dropFirst(5))
        }
    }

    static func isToken(_ bytes: [UInt8]) -> Bool {
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
