/// What an upload is for: where its objects live, how big they may be, which types they may
/// have. Purposes are configuration; `UploadPurposes.defaults` is the seed's set.
public struct UploadPurpose: Sendable, Equatable {
    /// The name clients send as `purpose`.
    public let name: String
    /// The key prefix, one key-safe segment such as `avatars`.
    public let prefix: String
    /// The largest object accepted, in bytes.
    public let maxSize: Int64
    /// A media-type prefix such as `image/`; empty allows any type.
    public let allowedTypePrefix: String

    public init(name: String, prefix: String, maxSize: Int64, allowedTypePrefix: String) {
        self.name = name
        self.prefix = prefix
        self.maxSize = maxSize
        self.allowedTypePrefix = allowedTypePrefix
    }

    /// Whether a media type is allowed; the comparison ignores case, as media types do.
    public func allows(contentType: String) -> Bool {
        allowedTypePrefix.isEmpty || contentType.lowercased().hasPrefix(allowedTypePrefix.lowercased())
    }
}

/// The configured purposes, looked up by name.
public struct UploadPurposes: Sendable, Equatable {
    public let all: [UploadPurpose]

    public init(_ all: [UploadPurpose]) { self.all = all }

    public subscript(name: String) -> UploadPurpose? { all.first { $0.name == name } }

    /// The seed's purposes: avatars (5 MiB, images), images (10 MiB, images), documents (20 MiB, any type).
    public static let defaults = UploadPurposes([
        UploadPurpose(name: "avatar", prefix: "avatars", maxSize: 5 << 20, allowedTypePrefix: "image/"),
        UploadPurpose(name: "image", prefix: "images", maxSize: 10 << 20, allowedTypePrefix: "image/"),
        UploadPurpose(name: "document", prefix: "documents", maxSize: 20 << 20, allowedTypePrefix: ""),
    ])

    /// S3's largest object (5 TiB, through multipart), the ceiling for any purpose.
    public static let largestAllowedSize: Int64 = MultipartPlan.maximumObjectSize
    /// S3's single-request upload limit (5 GiB): larger files go through multipart.
    public static let largestSingleUpload: Int64 = 5 << 30

    /// Parses `{"avatar": {"prefix": "avatars", "maxSize": 5242880, "allowedType": "image/"}, …}`
    /// (the seed's field names). `variable` names the setting in errors.
    public static func parse(_ text: String, variable: String) throws(ConfigError) -> UploadPurposes {
        let value: JSONValue
        do {
            value = try JSONParser().parse(Array(text.utf8))
        } catch {
            throw ConfigError(variable: variable, problem: "not valid JSON: \(error)")
        }
        guard case .object(let object) = value, !object.members.isEmpty else {
            throw ConfigError(variable: variable, problem: "expected a non-empty JSON object of purposes")
        }
        var purposes: [UploadPurpose] = []
        var prefixes: Set<String> = []
        for (name, entry) in object.members {
            let purpose = try parsePurpose(name: name, entry, variable: variable)
            guard prefixes.insert(purpose.prefix).inserted else {
                throw ConfigError(variable: variable, problem: "purposes share the prefix \"\(purpose.prefix)\"; give each its own")
            }
            purposes.append(purpose)
        }
        return UploadPurposes(purposes)
    }

    static func parsePurpose(name: String, _ entry: JSONValue, variable: String) throws(ConfigError) -> UploadPurpose {
        func problem(_ text: String) -> ConfigError { ConfigError(variable: variable, problem: "purpose \"\(name)\": \(text)") }
        guard isKeySafeWord(name) else { throw problem("names use only letters, digits, '-' and '_'") }
        guard case .object(let fields) = entry else { throw problem("expected an object") }
        for key in fields.keys where !["prefix", "maxSize", "allowedType"].contains(key) {
            throw problem("unknown field \"\(key)\" (expected prefix, maxSize, allowedType)")
        }
        guard let prefix = fields["prefix"]?.stringValue, isKeySafeWord(prefix) else {
            throw problem("\"prefix\" must be one segment of letters, digits, '-' and '_'")
        }
        guard let maxSize = fields["maxSize"]?.int64Value, maxSize >= 1, maxSize <= largestAllowedSize else {
            throw problem("\"maxSize\" must be a whole number of bytes from 1 to \(largestAllowedSize)")
        }
        let allowed = fields["allowedType"] ?? .string("")
        guard let allowedType = allowed.stringValue,
              allowedType.utf8.allSatisfy({ MediaType.isTokenByte($0) || $0 == UInt8(ascii: "/") })
        else {
            throw problem("\"allowedType\" must be a media-type prefix such as \"image/\" or \"\"")
        }
        return UploadPurpose(name: name, prefix: prefix, maxSize: maxSize, allowedTypePrefix: allowedType.lowercased())
    }

    static func isKeySafeWord(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
    }
}
