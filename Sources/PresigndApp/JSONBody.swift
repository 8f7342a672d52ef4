package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// A request's JSON object with typed field access whose errors name the field.
package struct JSONBody: Sendable {
    package let object: JSONObject

    package init(_ object: JSONObject) { self.object = object }

    static func parse(_ request: HTTPRequest) throws(APIError) -> JSONBody {
        let contentType = request.headers["Content-Type"] ?? ""
        // Strict RFC 9110 syntax: a lenient split on ";" took `;application/json` for JSON.
        // JSON is UTF-8 (RFC 8259 §8.1): a charset, if given, must say so.
        // The usual value exactly is accepted without parsing it.
        let isJSON = contentType == "application/json" || {
            let parsed = MediaType.parseHeader(contentType)
            let charsetIsUTF8 = parsed?.parameters.allSatisfy { $0.name != "charset" || $0.value.lowercased() == "utf-8" } ?? false
            return parsed?.essence == "application/json" && charsetIsUTF8
        }()
        guard isJSON else {
            let got = contentType.isEmpty ? "no Content-Type" : "Content-Type \(String(contentType.prefix(100)))"
            throw APIError(status: 415, code: .unsupportedMediaType,
                           message: "send the body as JSON with Content-Type: application/json (got \(got))")
        }
        guard !request.body.isEmpty else {
            throw APIError.badRequest(.missingBody, "the request body is empty; send a JSON object")
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(request.body)
        } catch {
            throw APIError.badRequest(.malformedJson, "the request body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw APIError.badRequest(.malformedJson, "the request body must be a JSON object, got \(value.typeName)")
        }
        return JSONBody(object)
    }

    /// A required string field, non-empty unless `allowingEmpty`.
    package func string(_ field: String, maxLength: Int = 1024, allowingEmpty: Bool = false) throws(APIError) -> String {
        guard let value = object[field], value != .null else {
            throw APIError.badRequest(.missingField, "the field \"\(field)\" is required")
        }
        guard let string = value.stringValue else {
            throw APIError.badRequest(.invalidField, "the field \"\(field)\" must be a string, got \(value.typeName)")
        }
        guard !string.isEmpty || allowingEmpty else {
            throw APIError.badRequest(.invalidField, "the field \"\(field)\" must not be empty")
        }
        guard string.utf8.count <= maxLength else {
            throw APIError.badRequest(.invalidField, "the field \"\(field)\" is longer than \(maxLength) bytes")
        }
        return string
    }

    /// An optional string field; absent and null read as nil.
    package func optionalString(_ field: String, maxLength: Int = 1024) throws(APIError) -> String? {
        guard let value = object[field], value != .null else { return nil }
        return try string(field, maxLength: maxLength)
    }

    /// A required whole number within `range`.
    package func integer(_ field: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64 {
        guard let value = object[field], value != .null else {
            throw APIError.badRequest(.missingField, "the field \"\(field)\" is required")
        }
        guard let number = value.int64Value else {
            throw APIError.badRequest(.invalidField, "the field \"\(field)\" must be a whole number, got \(value.typeName)")
        }
        guard range.contains(number) else {
            throw APIError.badRequest(.invalidField,
                                      "the field \"\(field)\" must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    /// A required array of whole numbers within `range`, at most `maxCount` of them.
    package func integers(_ field: String, in range: ClosedRange<Int64>, maxCount: Int = 10_000) throws(APIError) -> [Int64] {
        guard let value = object[field], value != .null else {
            throw APIError.badRequest(.missingField, "the field \"\(field)\" is required")
        }
        guard let items = value.arrayValue, items.count <= maxCount else {
            throw APIError.badRequest(.invalidField, "the field \"\(field)\" must be an array of at most \(maxCount) whole numbers")
        }
        var numbers: [Int64] = []
        for item in items {
            guard let number = item.int64Value, range.contains(number) else {
                throw APIError.badRequest(.invalidField,
                                          "the field \"\(field)\" must hold whole numbers from \(range.lowerBound) to \(range.upperBound)")
            }
            numbers.append(number)
        }
        return numbers
    }

    /// The `parts` array of a multipart completion: objects with a part number and an ETag,
    /// under the field names of the protocol at hand (`partNumber`/`etag`, or Uppy's
    /// `PartNumber`/`ETag`).
    package func parts(numberField: String, etagField: String) throws(APIError) -> [(number: Int, etag: String)] {
        let problem = APIError.badRequest(.invalidParts,
                                          "the field \"parts\" must be an array of {\"\(numberField)\": 1…10000, \"\(etagField)\": \"…\"} objects")
        guard let items = object["parts"]?.arrayValue, items.count <= MultipartPlan.maximumParts else { throw problem }
        var parts: [(number: Int, etag: String)] = []
        for item in items {
            guard let number = item[numberField]?.int64Value, (1...Int64(MultipartPlan.maximumParts)).contains(number),
                  let etag = item[etagField]?.stringValue, !etag.isEmpty, etag.utf8.count <= 256,
                  etag.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw problem }
            parts.append((Int(number), etag))
        }
        return parts
    }
}
