/// Reads a request body under the configured cap: the announced length is checked before a single
/// byte is read, and a body that ends early is told apart from a complete one.
package enum GatewayBody {
    /// The 413 every path uses, with the exact size when the client announced it.
    package static func tooLarge(length: Int?, limit: Int) -> APIError {
        let message = length.map { "request body is \($0) bytes; the limit is \(limit)" }
            ?? "request body is larger than the limit of \(limit) bytes"
        return APIError(status: 413, code: .bodyTooLarge, message: message)
    }

    /// Checks the announced length against the cap without reading anything.
    package static func check(_ head: GatewayRequestHead, limit: Int) throws(APIError) {
        if let length = head.contentLength, length > limit { throw tooLarge(length: length, limit: limit) }
    }

    /// Reads the body with `read(maxBytes)`, which returns fewer bytes (or none) only at end of input.
    package static func read(
        _ head: GatewayRequestHead, limit: Int, using read: (Int) -> [UInt8]
    ) throws(APIError) -> [UInt8] {
        try check(head, limit: limit)
        if let length = head.contentLength {
            if length == 0 { return [] }
            let body = read(length)
            if body.count < length {
                throw .badRequest(.truncatedBody,
                                  "request body ended after \(body.count) of the \(length) bytes Content-Length announced")
            }
            return body
        }
        // No length: read to end of input, one byte past the cap to tell "exactly the limit" from "more".
        let body = read(limit + 1)
        if body.count > limit { throw tooLarge(length: nil, limit: limit) }
        return body
    }
}
