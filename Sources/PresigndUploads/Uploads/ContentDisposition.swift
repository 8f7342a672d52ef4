import PresigndHTTP
import PresigndSigning
import PresigndSupport

/// `Content-Disposition` values per RFC 6266: a quoted ASCII `filename` for old clients plus
/// `filename*=UTF-8''…` (RFC 8187) carrying the real name.
package enum ContentDisposition {
    package enum Kind: String, Sendable {
        case attachment
        case inline
    }

    /// What a download may be served as. `inline` is honoured only for types a browser shows
    /// without running anything (images but SVG, PDF, plain text, audio, video): an uploaded
    /// HTML or SVG file opened inline would run its scripts on the store's origin.
    package static func allowedKind(_ requested: Kind, contentType: String) -> Kind {
        guard requested == .inline else { return .attachment }
        let mediaType = MediaType.essence(contentType)
        let safe = (mediaType.hasPrefix("image/") && mediaType != "image/svg+xml")
            || mediaType.hasPrefix("audio/") || mediaType.hasPrefix("video/")
            || mediaType == "application/pdf" || mediaType == "text/plain"
        return safe ? .inline : .attachment
    }

    /// `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`. Quotes,
    /// backslashes and non-ASCII become `_` in the fallback; control characters (CR, LF, …) are
    /// dropped from both, so the value can never end the header or add one.
    package static func header(_ kind: Kind, fileName: String) -> String {
        asciiHeader(kind, fileName: fileName) ?? headerByScalars(kind, fileName: fileName)
    }

    /// `header` on Unicode scalars, for any name.
    static func headerByScalars(_ kind: Kind, fileName: String) -> String {
        let cleaned = String(String.UnicodeScalarView(fileName.unicodeScalars.filter { !FileName.isRemoved($0) }))
        var fallback = ""
        for scalar in cleaned.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" {
                fallback.unicodeScalars.append(scalar)
            } else {
                fallback += "_"
            }
        }
        if fallback.isEmpty { fallback = "download" }
        var value = "\(kind.rawValue); filename=\"\(fallback)\""
        if !cleaned.isEmpty { value += "; filename*=UTF-8''" + encodeExtValue(cleaned) }
        return value
    }

    /// `header` for an all-ASCII name, on bytes (the removed scalars there are C0 and DEL, and
    /// every kept byte is its own scalar); nil when the name is not ASCII.
    static func asciiHeader(_ kind: Kind, fileName: String) -> String? {
        var fileName = fileName
        return fileName.withUTF8 { bytes -> String? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            var cleaned: [UInt8] = []
            cleaned.reserveCapacity(bytes.count)
            for byte in bytes where byte >= 0x20 && byte != 0x7F { cleaned.append(byte) }
            var value: [UInt8] = []
            value.reserveCapacity(40 + cleaned.count * 4)
            value.append(contentsOf: kind.rawValue.utf8)
            value.append(contentsOf: "; filename=\"".utf8)
            if cleaned.isEmpty {
                value.append(contentsOf: "download".utf8)
            } else {
                for byte in cleaned { value.append(byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") ? UInt8(ascii: "_") : byte) }
            }
            value.append(UInt8(ascii: "\""))
            if !cleaned.isEmpty {
                value.append(contentsOf: "; filename*=UTF-8''".utf8)
                appendExtValue(cleaned, to: &value)
            }
            return String(decoding: value, as: UTF8.self)
        }
    }

    /// RFC 8187 `attr-char`: letters, digits and `!#$&+-.^_`|~`.
    static let isAttrChar: [Bool] = (0..<256).map { byte in
        ASCII.isAlphanumeric(UInt8(byte)) || "!#$&+-.^_`|~".utf8.contains(UInt8(byte))
    }

    static func appendExtValue<Bytes: Sequence>(_ bytes: Bytes, to output: inout [UInt8]) where Bytes.Element == UInt8 {
        for byte in bytes {
            if isAttrChar[Int(byte)] {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(PercentEncoding.upperHexDigit(byte >> 4))
                output.append(PercentEncoding.upperHexDigit(byte & 0x0F))
            }
        }
    }

    /// RFC 8187 `attr-char` stays; every other UTF-8 byte is `%XX`.
    static func encodeExtValue(_ text: String) -> String {
        var output: [UInt8] = []
        appendExtValue(text.utf8, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
