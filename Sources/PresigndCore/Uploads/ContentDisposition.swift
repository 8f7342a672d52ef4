/// `Content-Disposition` values per RFC 6266: a quoted ASCII `filename` for old clients plus
/// `filename*=UTF-8''…` (RFC 8187) carrying the real name.
public enum ContentDisposition {
    public enum Kind: String, Sendable {
        case attachment
        case inline
    }

    /// What a download may be served as. `inline` is honoured only for types a browser shows
    /// without running anything (images but SVG, PDF, plain text, audio, video): an uploaded
    /// HTML or SVG file opened inline would run its scripts on the store's origin.
    public static func allowedKind(_ requested: Kind, contentType: String) -> Kind {
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
    public static func header(_ kind: Kind, fileName: String) -> String {
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

    /// RFC 8187 `attr-char` stays; every other UTF-8 byte is `%XX`.
    static func encodeExtValue(_ text: String) -> String {
        let attrChars = Set(Array("!#$&+-.^_`|~".utf8))
        var output: [UInt8] = []
        for byte in text.utf8 {
            if FileName.isASCIIAlphanumeric(byte) || attrChars.contains(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(PercentEncoding.hexDigits[Int(byte >> 4)])
                output.append(PercentEncoding.hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
