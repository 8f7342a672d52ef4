import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// One condition of an S3 POST policy.
package enum PostPolicyCondition: Sendable, Equatable {
    /// `{"field": "value"}`: the form field must equal `value`.
    case exact(String, String)
    /// `["eq", "$field", "value"]`: the same, in array form.
    case equals(String, String)
    /// `["starts-with", "$field", "prefix"]`; an empty prefix allows any value.
    case startsWith(String, String)
    /// `["content-length-range", min, max]`: the file's size in bytes, both ends included.
    case contentLengthRange(Int64, Int64)

    var json: JSONValue {
        switch self {
        case .exact(let field, let value): return .object(JSONObject([(key: field, value: .string(value))]))
        case .equals(let field, let value): return ["eq", .string("$" + field), .string(value)]
        case .startsWith(let field, let prefix): return ["starts-with", .string("$" + field), .string(prefix)]
        case .contentLengthRange(let min, let max): return ["content-length-range", .int(min), .int(max)]
        }
    }

    /// Writes `json.serializedBytes()` without building the `JSONValue`.
    func write(to output: inout [UInt8]) {
        switch self {
        case .exact(let field, let value):
            output.append(UInt8(ascii: "{"))
            JSONValue.writeString(field, to: &output)
            output.append(UInt8(ascii: ":"))
            JSONValue.writeString(value, to: &output)
            output.append(UInt8(ascii: "}"))
        case .equals(let field, let value):
            output += #"["eq","#.utf8
            JSONValue.writeString("$" + field, to: &output)
            output.append(UInt8(ascii: ","))
            JSONValue.writeString(value, to: &output)
            output.append(UInt8(ascii: "]"))
        case .startsWith(let field, let prefix):
            output += #"["starts-with","#.utf8
            JSONValue.writeString("$" + field, to: &output)
            output.append(UInt8(ascii: ","))
            JSONValue.writeString(prefix, to: &output)
            output.append(UInt8(ascii: "]"))
        case .contentLengthRange(let min, let max):
            output += #"["content-length-range","#.utf8
            output += String(min).utf8
            output.append(UInt8(ascii: ","))
            output += String(max).utf8
            output.append(UInt8(ascii: "]"))
        }
    }

    /// `{"expiration":…,"conditions":[…]}` as the `JSONValue` object of those two members writes it.
    static func policyDocument(expiration: String, conditions: [PostPolicyCondition]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)  // a presign's policy is about 700 bytes
        output += #"{"expiration":"#.utf8
        JSONValue.writeString(expiration, to: &output)
        output += #","conditions":["#.utf8
        for (index, condition) in conditions.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            condition.write(to: &output)
        }
        output += "]}".utf8
        return output
    }
}

/// What a browser may upload with one POST form: the fields it sends and the conditions S3
/// enforces on them. Build it with the mutating helpers; `S3PostSigner` signs it.
package struct PostPolicy: Sendable {
    package var bucket: String
    /// The exact key, or a prefix followed by `${filename}` (S3 substitutes the file's name).
    package var key: String
    /// Seconds, 1…604800.
    package var expires: Int
    /// Form fields besides the ones the signer adds, in the order the form sends them.
    package private(set) var fields: [(name: String, value: String)] = []
    /// Conditions besides the ones the signer adds (bucket, key, x-amz-*).
    package private(set) var conditions: [PostPolicyCondition] = []

    package init(bucket: String, key: String, expires: Int) {
        self.bucket = bucket
        self.key = key
        self.expires = expires
    }

    /// Adds a form field and, unless `condition` is false, the exact-match condition for it.
    package mutating func field(_ name: String, _ value: String, condition: Bool = true) {
        fields.append((name: name, value: value))
        if condition { conditions.append(.exact(name, value)) }
    }

    /// Adds a condition without a field (the browser supplies the value).
    package mutating func condition(_ condition: PostPolicyCondition) { conditions.append(condition) }

    /// Exactly this Content-Type.
    package mutating func contentType(_ type: String) { field("Content-Type", type) }

    /// A Content-Type starting with `prefix` (e.g. `image/`); `initial` is the form's value.
    package mutating func contentType(startingWith prefix: String, initial: String) {
        field("Content-Type", initial, condition: false)
        conditions.append(.startsWith("Content-Type", prefix))
    }

    /// Exactly this Content-Disposition, stored with the object.
    package mutating func contentDisposition(_ value: String) { field("Content-Disposition", value) }

    /// The status S3 answers with: 200, 201 (with an XML body) or 204.
    package mutating func successActionStatus(_ status: Int) { field("success_action_status", String(status)) }

    /// `x-amz-meta-<name>`, stored with the object.
    package mutating func metadata(_ name: String, _ value: String) { field("x-amz-meta-" + name.lowercased(), value) }

    /// The file must be `range` bytes long.
    package mutating func contentLength(_ range: ClosedRange<Int64>) { conditions.append(.contentLengthRange(range.lowerBound, range.upperBound)) }

    /// Field names the signer writes itself; a policy may not set them.
    static let reservedFields: Set<String> = [
        "key", "bucket", "policy", "file", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "x-amz-security-token",
    ]

    /// `reservedFields.contains(name.lowercased())` (the reserved names are lower case), compared
    /// as header names are: no lower-cased copy for an ASCII name, every valid one.
    static func isReservedField(_ name: String) -> Bool {
        reservedFields.contains { HTTPHeaders.sameName($0, name) }
    }

    func validate() throws(SigningError) {
        try S3Validation.validateBucket(bucket)
        let keyPrefix = key.hasSuffix("${filename}") ? String(key.dropLast("${filename}".count)) : key
        if !keyPrefix.isEmpty || !key.hasSuffix("${filename}") { try S3Validation.validateKey(key) }
        for field in fields {
            guard !PostPolicy.isReservedField(field.name) else {
                throw .invalidPolicy("the form field \(field.name) is set by the signer; remove it")
            }
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(ASCII.isTokenByte) else {
                throw .invalidPolicy("the form field name \"\(CanonicalHeaders.printable(field.name))\" is not a valid field name")
            }
            // Form fields become the object's headers (Content-Type, Content-Disposition,
            // x-amz-meta-*): held to the same rule as a presigned PUT's signed headers.
            guard field.value.utf8.allSatisfy({ $0 == 0x09 || (0x20...0x7E).contains($0) }) else {
                throw .invalidPolicy("the value of form field \(field.name) must be printable ASCII; encode other characters first (e.g. RFC 2047 or percent-encoding)")
            }
        }
        if let status = fields.first(where: { $0.name == "success_action_status" }), !["200", "201", "204"].contains(status.value) {
            throw .invalidPolicy("success_action_status must be 200, 201 or 204")
        }
        for condition in conditions {
            switch condition {
            case .contentLengthRange(let min, let max):
                guard min >= 0, min <= max else {
                    throw .invalidPolicy("content-length-range needs 0 <= minimum <= maximum, got \(min)…\(max)")
                }
                guard max <= 5 * 1024 * 1024 * 1024 else {
                    throw .invalidPolicy("content-length-range maximum must be at most 5 GiB, the largest single POST upload S3 accepts")
                }
            case .exact(let field, _), .equals(let field, _), .startsWith(let field, _):
                guard !field.isEmpty, !field.hasPrefix("$") else {
                    throw .invalidPolicy("a condition names its field without the leading $ (e.g. Content-Type)")
                }
            }
        }
    }
}
