import PresigndHTTP
import PresigndSigning
package import PresigndSupport

/// The position after the last document of a page: documents are listed newest first, ties
/// broken by id, so `(createdAt, id)` is a stable keyset cursor. Sent to clients as opaque
/// base64url text.
package struct DocumentCursor: Sendable, Equatable {
    package let createdAt: UnixSeconds
    package let id: String

    package init(createdAt: UnixSeconds, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    package var encoded: String { Base64.encodeURL(Array("\(createdAt)/\(id)".utf8)) }

    /// 9999-12-31T23:59:59Z. The cursor is not signed, so a client can write any number into
    /// it; PostgreSQL's `to_timestamp` fails (a 500) beyond its range.
    static let latestCreatedAt: UnixSeconds = 253_402_300_799

    /// Nil unless `text` is exactly what `encoded` produces.
    package static func decode(_ text: String) -> DocumentCursor? {
        guard text.utf8.count <= 96, let bytes = Base64.decodeURL(text),
              let plain = UTF8Text.validating(bytes) else { return nil }
        let parts = plain.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let seconds = Int64(parts[0]), (0...latestCreatedAt).contains(seconds),
              DocumentID.isValid(String(parts[1])) else { return nil }
        let cursor = DocumentCursor(createdAt: seconds, id: String(parts[1]))
        return cursor.encoded == text ? cursor : nil
    }
}
