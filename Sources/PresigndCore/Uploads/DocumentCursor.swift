/// The position after the last document of a page: documents are listed newest first, ties
/// broken by id, so `(createdAt, id)` is a stable keyset cursor. Sent to clients as opaque
/// base64url text.
public struct DocumentCursor: Sendable, Equatable {
    public let createdAt: UnixSeconds
    public let id: String

    public init(createdAt: UnixSeconds, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    public var encoded: String { Base64.encodeURL(Array("\(createdAt)/\(id)".utf8)) }

    /// Nil unless `text` is exactly what `encoded` produces.
    public static func decode(_ text: String) -> DocumentCursor? {
        guard text.utf8.count <= 96, let bytes = Base64.decodeURL(text),
              let plain = String(validating: bytes, as: UTF8.self) else { return nil }
        let parts = plain.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let seconds = Int64(parts[0]), seconds >= 0, UUIDv4.isValid(String(parts[1])) else { return nil }
        let cursor = DocumentCursor(createdAt: seconds, id: String(parts[1]))
        return cursor.encoded == text ? cursor : nil
    }
}
