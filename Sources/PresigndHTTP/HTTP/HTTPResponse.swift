package import PresigndSupport

/// A response to hand back to the web server.
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; API responses are never cached by browsers or proxies.
    package static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        json(serialized: value.serializedBytes(), status: status, headers: headers)
    }

    /// A JSON response whose text is already written (`JSONObjectWriter`).
    package static func json(serialized body: [UInt8], status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var all: HTTPHeaders
        if headers.fields.isEmpty {  // most answers: the two headers, no search
            all = ["Content-Type": "application/json", "Cache-Control": "no-store"]
        } else {
            all = headers
            all.set("Content-Type", "application/json")
            if all["Cache-Control"] == nil { all.set("Cache-Control", "no-store") }
        }
        return HTTPResponse(status: status, headers: all, body: body)
    }

    /// The reason phrase for the `Status:` line.
    package static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}
