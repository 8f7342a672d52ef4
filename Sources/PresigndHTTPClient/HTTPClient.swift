internal import CCurl
import Synchronization

/// A request presignd makes itself (S3 HeadObject/DeleteObject, a JWKS fetch).
package struct OutboundRequest: Sendable {
    package var method: String
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// The whole exchange, connect included, must finish within this.
    package var timeoutMilliseconds: Int

    package init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                timeoutMilliseconds: Int = 5_000) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

package struct OutboundResponse: Sendable {
    package let status: Int
    /// Header names as the server sent them, in order.
    package let headers: [(name: String, value: String)]
    package let body: [UInt8]

    /// The first value of a header, compared case-insensitively.
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }
}

/// Why an exchange did not produce a response; the peer was unreachable or too slow, or
/// answered with more than we accept. Carries no URL, which may hold a signature.
package struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    package let reason: String
    package var description: String { reason }
}

/// A small HTTP/1.1 client over libcurl. Easy handles are pooled so connections to the same
/// store are reused across requests; each request borrows one handle, so any number of
/// threads may call `send` at once.
package final class HTTPClient: Sendable {
    let maxResponseBytes: Int
    let idleHandles = Mutex<[EasyHandle]>([])

    /// curl_global_init is not thread-safe; doing it in a static initialiser runs it once.
    static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    package init(maxResponseBytes: Int = 1 << 20) {
        precondition(HTTPClient.globalInit, "libcurl failed to initialise")
        self.maxResponseBytes = maxResponseBytes
    }

    package func send(_ request: OutboundRequest) throws(HTTPClientError) -> OutboundResponse {
        guard let handle = idleHandles.withLock({ $0.popLast() }) ?? EasyHandle() else {
            throw HTTPClientError(reason: "libcurl could not allocate a handle")
        }
        defer {
            idleHandles.withLock { handles in
                if handles.count < 16 { handles.append(handle) }
            }
        }
        return try handle.perform(request, maxResponseBytes: maxResponseBytes)
    }
}

/// Owns one CURL easy handle. Used by one thread at a time (the pool hands it out).
final class EasyHandle: @unchecked Sendable {
    let curl: UnsafeMutableRawPointer

    /// Nil when libcurl cannot allocate one (out of memory): the request fails, the process lives.
    init?() {
        guard let curl = curl_easy_init() else { return nil }
        self.curl = curl
    }

    deinit { curl_easy_cleanup(curl) }

    func perform(_ request: OutboundRequest, maxResponseBytes: Int) throws(HTTPClientError) -> OutboundResponse {
        curl_easy_reset(curl)
        let sink = ResponseSink(limit: maxResponseBytes)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        // curl adds these by default; signed requests must carry only what we chose.
        let suppressed = ["Expect:", "Accept:"] + (hasHeader(request, "Content-Type") ? [] : ["Content-Type:"])
        for line in suppressed + request.headers.map({ "\($0.name): \($0.value)" }) {
            // On failure curl_slist_append returns nil and leaves the list as it was.
            guard let longer = curl_slist_append(headerList, line) else {
                throw HTTPClientError(reason: "libcurl could not allocate a header list")
            }
            headerList = longer
        }

        var body = request.body
        // Every option's result is checked: an option libcurl refuses (CURLOPT_PROTOCOLS_STR on
        // an old libcurl, say) must fail the request, not send it without that restriction.
        var refused: CURLoption? = nil
        func set(_ option: CURLoption, _ result: CURLcode) {
            if result != CURLE_OK && refused == nil { refused = option }
        }
        let code: CURLcode? = body.withUnsafeMutableBytes { bodyBytes in
            set(CURLOPT_URL, presignd_curl_setopt_string(curl, CURLOPT_URL, request.url))
            set(CURLOPT_PROTOCOLS_STR, presignd_curl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "http,https"))
            set(CURLOPT_NOSIGNAL, presignd_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1))
            set(CURLOPT_FOLLOWLOCATION, presignd_curl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 0))
            set(CURLOPT_TIMEOUT_MS, presignd_curl_setopt_long(curl, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds))
            set(CURLOPT_CONNECTTIMEOUT_MS, presignd_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, min(request.timeoutMilliseconds, 3_000)))
            set(CURLOPT_HTTPHEADER, presignd_curl_setopt_slist(curl, CURLOPT_HTTPHEADER, headerList))
            set(CURLOPT_WRITEFUNCTION, presignd_curl_setopt_callback(curl, CURLOPT_WRITEFUNCTION, { data, size, count, context in
                let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
                return sink.appendBody(data, size * count) ? size * count : 0
            }))
            set(CURLOPT_WRITEDATA, presignd_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, sinkPointer))
            set(CURLOPT_HEADERFUNCTION, presignd_curl_setopt_callback(curl, CURLOPT_HEADERFUNCTION, { data, size, count, context in
                let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
                return sink.appendHeaderLine(data, size * count) ? size * count : 0
            }))
            set(CURLOPT_HEADERDATA, presignd_curl_setopt_pointer(curl, CURLOPT_HEADERDATA, sinkPointer))
            switch request.method {
            case "GET":
                set(CURLOPT_HTTPGET, presignd_curl_setopt_long(curl, CURLOPT_HTTPGET, 1))
            case "HEAD":
                set(CURLOPT_NOBODY, presignd_curl_setopt_long(curl, CURLOPT_NOBODY, 1))
            default:
                set(CURLOPT_CUSTOMREQUEST, presignd_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, request.method))
                if !bodyBytes.isEmpty || request.method == "POST" || request.method == "PUT" {
                    set(CURLOPT_POSTFIELDSIZE, presignd_curl_setopt_long(curl, CURLOPT_POSTFIELDSIZE, bodyBytes.count))
                    set(CURLOPT_POSTFIELDS, presignd_curl_setopt_pointer(curl, CURLOPT_POSTFIELDS,
                                                                         bodyBytes.baseAddress ?? UnsafeMutableRawPointer(sinkPointer)))
                }
            }
            guard refused == nil else { return nil }
            return curl_easy_perform(curl)
        }
        guard let code else {
            throw HTTPClientError(reason: "libcurl refused option \(refused.map { String($0.rawValue) } ?? "?"); the request was not sent")
        }
        guard code == CURLE_OK else {
            if sink.overflowed {
                throw HTTPClientError(reason: "the response was larger than \(maxResponseBytes) bytes")
            }
            throw HTTPClientError(reason: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        guard presignd_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK, status > 0 else {
            throw HTTPClientError(reason: "libcurl reported no response status")
        }
        return OutboundResponse(status: status, headers: sink.finalHeaders, body: sink.body)
    }

    func hasHeader(_ request: OutboundRequest, _ name: String) -> Bool {
        request.headers.contains { $0.name.lowercased() == name.lowercased() }
    }
}

/// Collects what libcurl's callbacks hand over.
final class ResponseSink {
    let limit: Int
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    /// Headers of the last response only (a 100 Continue's are dropped when the next status line comes).
    var finalHeaders: [(name: String, value: String)] { headers }

    func appendBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Bool {
        guard body.count + count <= limit else {
            overflowed = true
            return false
        }
        if let data, count > 0 {
            data.withMemoryRebound(to: UInt8.self, capacity: count) { body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count)) }
        }
        return true
    }

    func appendHeaderLine(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Bool {
        guard let data, count > 0 else { return true }
        var bytes = data.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
        // Trim CR/LF as bytes: "\r\n" is one Character, so String suffix checks would miss it.
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = []
            return true
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = String(line[..<colon])
        var value = Substring(line[line.index(after: colon)...])
        while value.first == " " || value.first == "\t" { value = value.dropFirst() }
        headers.append((name: name, value: String(value)))
        return headers.count < 200
    }
}
