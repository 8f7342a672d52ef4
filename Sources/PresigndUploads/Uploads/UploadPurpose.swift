import PresigndCrypto
import PresigndHTTP
import PresigndSigning
package import PresigndSupport

/// What an upload is for: where its objects live, how big they may be, which types they may
/// have. Purposes are configuration; `UploadPurposes.defaults` is the seed's set.
package struct UploadPurpose: Sendable, Equatable {
    /// The name clients send as `purpose`.
    package let name: String
    /// The key prefix, one key-safe segment such as `avatars`.
    package let prefix: String
    /// The largest object accepted, in bytes.
    package let maxSize: Int64
    /// A media-type prefix such as `image/`; empty allows any type.
    package let allowedTypePrefix: String
    /// What one user may keep under this purpose; nil: no limit.
    package var quota: UploadQuota?

    package init(name: String, prefix: String, maxSize: Int64, allowedTypePrefix: String, quota: UploadQuota? = nil) {
        self.name = name
        self.prefix = prefix
        self.maxSize = maxSize
        self.allowedTypePrefix = allowedTypePrefix
        self.quota = quota
    }

    /// Whether a media type is allowed; the comparison ignores case, as media types do.
    package func allows(contentType: String) -> Bool {
        allowedTypePrefix.isEmpty || contentType.lowercased().hasPrefix(allowedTypePrefix.lowercased())
    }
}

/// The configured purposes, looked up by name.
package struct UploadPurposes: Sendable, Equatable {
    package let all: [UploadPurpose]

    package init(_ all: [UploadPurpose]) { self.all = all }

    package subscript(name: String) -> UploadPurpose? { all.first { $0.name == name } }

    /// The seed's purposes: avatars (5 MiB, images), images (10 MiB, images), documents (20 MiB, any type).
    package static let defaults = UploadPurposes([
        UploadPurpose(name: "avatar", prefix: "avatars", maxSize: 5 << 20, allowedTypePrefix: "image/"),
        UploadPurpose(name: "image", prefix: "images", maxSize: 10 << 20, allowedTypePrefix: "image/"),
        UploadPurpose(name: "document", prefix: "documents", maxSize: 20 << 20, allowedTypePrefix: ""),
    ])

    /// S3's largest object (5 TiB, through multipart), the ceiling for any purpose.
    package static let largestAllowedSize: Int64 = MultipartPlan.maximumObjectSize
    /// S3's single-request upload limit (5 GiB): larger files go through multipart.
    package static let largestSingleUpload: Int64 = 5 << 30

    /// Parses `{"avatar": {"prefix": "avatars", "maxSize": 5242880, "allowedType": "image/"}, …}`
    /// (the seed's field names). `variable` names the setting in errors.
    package static func parse(_ text: String, variable: String) throws(ConfigError) -> UploadPurposes {
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
        for key in fields.keys where !["prefix", "maxSize", "allowedType", "quotaBytes", "quotaFiles"].contains(key) {
            throw problem("unknown field \"\(key)\" (expected prefix, maxSize, allowedType, quotaBytes, quotaFiles)")
        }
        guard let prefix = fields["prefix"]?.stringValue, isKeySafeWord(prefix) else {
            throw problem("\"prefix\" must be one segment of letters, digits, '-' and '_'")
        }
        guard let maxSize = fields["maxSize"]?.int64Value, maxSize >= 1, maxSize <= largestAllowedSize else {
            throw problem("\"maxSize\" must be a whole number of bytes from 1 to \(largestAllowedSize)")
        }
        let allowed = fields["allowedType"] ?? .string("")
        guard let allowedType = allowed.stringValue,
              allowedType.utf8.allSatisfy({ ASCII.isTokenByte($0) || $0 == UInt8(ascii: "/") })
        else {
            throw problem("\"allowedType\" must be a media-type prefix such as \"image/\" or \"\"")
        }
        var quota: UploadQuota? = nil
        if fields["quotaBytes"] != nil || fields["quotaFiles"] != nil {
            let bytes = try fields["quotaBytes"].map { value throws(ConfigError) -> Int64 in
                guard let bytes = value.int64Value, bytes >= 1 else { throw problem("\"quotaBytes\" must be a whole number of bytes, at least 1") }
                return bytes
            }
            let files = try fields["quotaFiles"].map { value throws(ConfigError) -> Int64 in
                guard let files = value.int64Value, files >= 1 else { throw problem("\"quotaFiles\" must be a whole number of files, at least 1") }
                return files
            }
            quota = UploadQuota(maxBytes: bytes, maxFiles: files)
        }
        return UploadPurpose(name: name, prefix: prefix, maxSize: maxSize, allowedTypePrefix: allowedType.lowercased(), quota: quota)
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

/// What one user may keep under one purpose: bytes and files, counting unfinished uploads at
/// their declared size and finished ones at their actual size. nil fields are unlimited.
package struct UploadQuota: Sendable, Equatable {
    package let maxBytes: Int64?
    package let maxFiles: Int64?

    package init(maxBytes: Int64?, maxFiles: Int64?) {
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }
}

/// One user's usage of one purpose.
package struct PurposeUsage: Sendable, Equatable {
    package let purpose: String
    package let files: Int64
    package let bytes: Int64

    package init(purpose: String, files: Int64, bytes: Int64) {
        self.purpose = purpose
        self.files = files
        self.bytes = bytes
    }
}
