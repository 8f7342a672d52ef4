import PresigndSupport

/// An HTTP request as the web server handed it over (FastCGI params or the CGI environment).
package struct HTTPRequest: Sendable {
    package var method: String
    /// The path without the query, still percent-encoded as the client sent it.
    package var path: String
    /// The raw query string, without the leading `?`.
    package var query: String
    package var headers: HTTPHeaders
    package var body: [UInt8]
    /// The client's address as the web server saw it (REMOTE_ADDR), for the audit log.
    package var remoteAddress: String

    /// Methods that do not change state, unless a route says otherwise (`Route.changesState`).
    package static let safeMethods = ["GET", "HEAD", "OPTIONS"]

    package init(
        method: String, path: String, query: String = "", headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Query parameters, percent-decoded (`+` as space, as HTML forms send it), in order.
    package var queryItems: [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentEncoding.decodeFormComponent(String(parts[0])) ?? String(parts[0])
            let value = parts.count > 1 ? (PercentEncoding.decodeFormComponent(String(parts[1])) ?? String(parts[1])) : ""
            return (name: name, value: value)
        }
    }

    package func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}
