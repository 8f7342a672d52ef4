import PresigndCore

/// A request's JSON object with typed field access whose errors name the field.
public struct JSONBody: Sendable {
    public let object: JSONObject

    public init(_ object: JSONObject) { self.object = object }

    static func parse(_ request: HTTPRequest) throws(APIError) -> JSONBody {
        let contentType = request.headers["Content-Type"] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingSpaces().lowercased()
        } ?? ""
        guard mediaType == "application/json" else {
            let got = contentType.isEmpty ? "no Content-Type" : "Content-Type \(String(contentType.prefix(100)))"
            throw APIError(status: 415, code: "unsupported_media_type",
                           message: "send the body as JSON with Content-Type: application/json (got \(got))")
        }
        guard !request.body.isEmpty else {
            throw APIError.badRequest("missing_body", "the request body is empty; send a JSON object")
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(request.body)
        } catch {
            throw APIError.badRequest("malformed_json", "the request body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw APIError.badRequest("malformed_json", "the request body must be a JSON object, got \(value.typeName)")
        }
        return JSONBody(object)
    }

    /// A required, non-empty string field.
    public func string(_ field: String, maxLength: Int = 1024) throws(APIError) -> String {
        guard let value = object[field], value != .null else {
            throw APIError.badRequest("missing_field", "the field \"\(field)\" is required")
        }
        guard let string = value.stringValue else {
            throw APIError.badRequest("invalid_field", "the field \"\(field)\" must be a string, got \(value.typeName)")
        }
        guard !string.isEmpty else {
            throw APIError.badRequest("invalid_field", "the field \"\(field)\" must not be empty")
        }
        guard string.utf8.count <= maxLength else {
            throw APIError.badRequest("invalid_field", "the field \"\(field)\" is longer than \(maxLength) bytes")
        }
        return string
    }

    /// An optional string field; absent and null read as nil.
    public func optionalString(_ field: String, maxLength: Int = 1024) throws(APIError) -> String? {
        guard let value = object[field], value != .null else { return nil }
        return try string(field, maxLength: maxLength)
    }

    /// A required whole number within `range`.
    public func integer(_ field: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64 {
        guard let value = object[field], value != .null else {
            throw APIError.badRequest("missing_field", "the field \"\(field)\" is required")
        }
        guard let number = value.int64Value else {
            throw APIError.badRequest("invalid_field", "the field \"\(field)\" must be a whole number, got \(value.typeName)")
        }
        guard range.contains(number) else {
            throw APIError.badRequest("invalid_field",
                                      "the field \"\(field)\" must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }
}
