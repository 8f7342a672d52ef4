import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// Reads the few S3 XML answers presignd needs (CreateMultipartUpload, ListParts,
/// CompleteMultipartUpload, Error) and writes the one body it sends (the part list). S3's
/// answers are flat in the elements read here, so this is a tag scanner, not a general XML
/// parser: it reads the text of named elements and decodes the predefined entities.
package struct S3XML: Sendable {
    let bytes: ArraySlice<UInt8>

    package init(_ bytes: [UInt8]) { self.bytes = bytes[...] }
    init(slice: ArraySlice<UInt8>) { bytes = slice }

    /// Every `<name>…</name>` (or `<name attr="…">…</name>`) element's content, in document order.
    package func elements(_ name: String) -> [S3XML] {
        let open = Array("<\(name)".utf8), close = Array("</\(name)>".utf8)
        var found: [S3XML] = []
        var index = bytes.startIndex
        while let start = S3XML.find(open, in: bytes, from: index) {
            let after = start + open.count
            guard after < bytes.endIndex, bytes[after] == UInt8(ascii: ">") || bytes[after] == UInt8(ascii: " ") else {
                index = after
                continue
            }
            guard let tagEnd = bytes[after...].firstIndex(of: UInt8(ascii: ">")),
                  let end = S3XML.find(close, in: bytes, from: tagEnd + 1) else { break }
            found.append(S3XML(slice: bytes[(tagEnd + 1)..<end]))
            index = end + close.count
        }
        return found
    }

    /// The decoded text of the first `<name>` element, nil when there is none.
    package func value(_ name: String) -> String? {
        elements(name).first.map { S3XML.decodeEntities(String(decoding: $0.bytes, as: UTF8.self)) }
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.endIndex - start >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.endIndex {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    static let entities: [(String, String)] = [("&quot;", "\""), ("&#34;", "\""), ("&apos;", "'"), ("&#39;", "'"),
                                               ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")]

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        scan: while let ampersand = rest.firstIndex(of: "&") {
            out += rest[..<ampersand]
            rest = rest[ampersand...]
            for (entity, character) in entities where rest.hasPrefix(entity) {
                out += character
                rest = rest.dropFirst(entity.count)
                continue scan
            }
            out += "&"
            rest = rest.dropFirst()
        }
        return out + rest
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The CompleteMultipartUpload body.
    /// With `checksums` (part number → base64 SHA-256), each part names its digest, as S3
    /// requires of an upload created with a checksum algorithm.
    package static func completeMultipartUpload(_ parts: [(number: Int, etag: String)], checksums: [Int: String] = [:]) -> [UInt8] {
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            let checksum = checksums[part.number].map { "<ChecksumSHA256>\(escape($0))</ChecksumSHA256>" } ?? ""
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(escape(part.etag))</ETag>\(checksum)</Part>"
        }
        body += "</CompleteMultipartUpload>"
        return Array(body.utf8)
    }

    /// An S3 error answer's `<Code>`, nil when the body is not one.
    package var errorCode: String? { elements("Error").first?.value("Code") }

    /// ListParts: the parts on this page, and the marker of the next page when it is truncated;
    /// nil when a part is malformed.
    package func listedParts() -> (parts: [UploadedPartInfo], nextMarker: String?)? {
        var parts: [UploadedPartInfo] = []
        for part in elements("Part") {
            guard let number = part.value("PartNumber").flatMap({ Int($0) }), let etag = part.value("ETag"),
                  let size = part.value("Size").flatMap({ Int64($0) }) else { return nil }
            parts.append(UploadedPartInfo(number: number, etag: etag, size: size, checksumSHA256: part.value("ChecksumSHA256")))
        }
        let truncated = value("IsTruncated") == "true"
        return (parts, truncated ? value("NextPartNumberMarker") : nil)
    }
}

/// One part as the store reports it.
package struct UploadedPartInfo: Sendable, Equatable {
    package let number: Int
    package let etag: String
    package let size: Int64
    /// The part's SHA-256 the store checked (an upload created with that algorithm), base64.
    package let checksumSHA256: String?

    package init(number: Int, etag: String, size: Int64, checksumSHA256: String? = nil) {
        self.number = number
        self.etag = etag
        self.size = size
        self.checksumSHA256 = checksumSHA256
    }
}
