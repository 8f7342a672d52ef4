import PresigndSupport

/// What a file is, from its first bytes: the check confirm makes on every upload, so a file can
/// be neither corrupted into nor disguised as something its declaration, its name and its
/// purpose do not allow (HTML named `.png` with the type `image/png`, an SVG declared as PNG, an
/// executable named `.pdf`).
package enum ContentKind: Sendable, Equatable {
    /// A format recognised by its signature: `ContentCheck.formats` names it.
    case format(ContentFormat)
    /// Markup a browser may run scripts in: HTML, SVG, XML.
    case active(ActiveKind)
    /// Text: no byte below 0x20 but tab, newline, form feed, carriage return and escape.
    case text
    /// Binary data no signature matched.
    case unknownBinary

    package enum ActiveKind: String, Sendable, Equatable {
        case html = "HTML markup"
        case svg = "SVG markup"
        case xml = "XML markup"
        case script = "JavaScript"
    }

    /// How a message names it: "a PNG image", "HTML markup", "text".
    package var description: String {
        switch self {
        case .format(let format): return format.description
        case .active(let kind): return kind.rawValue
        case .text: return "text"
        case .unknownBinary: return "binary data of no format presignd recognises"
        }
    }
}

/// A format with a signature, and every media type and file extension that names it.
package struct ContentFormat: Sendable, Equatable {
    /// "a PNG image".
    package let description: String
    /// The media types that name it, the usual one first.
    package let types: [String]
    /// The file extensions that name it, without the dot.
    package let extensions: [String]
    /// Families of types that all name it: types that start with one of `typePrefixes` or end
    /// with one of `typeSuffixes` (`application/vnd.oasis.opendocument.`, `+zip`).
    package let typePrefixes: [String]
    package let typeSuffixes: [String]

    init(_ description: String, types: [String], extensions: [String], typePrefixes: [String] = [], typeSuffixes: [String] = []) {
        self.description = description
        self.types = types
        self.extensions = extensions
        self.typePrefixes = typePrefixes
        self.typeSuffixes = typeSuffixes
    }

    package static func == (left: ContentFormat, right: ContentFormat) -> Bool { left.description == right.description }

    func names(type essence: String) -> Bool {
        types.contains(essence) || typePrefixes.contains { essence.hasPrefix($0) } || typeSuffixes.contains { essence.hasSuffix($0) }
    }
}

package enum ContentCheck {
    /// How many of a file's first bytes confirm reads (one ranged GET).
    package static let prefixLength = 4096

    static let png = ContentFormat("a PNG image", types: ["image/png", "image/apng", "image/x-png"], extensions: ["png", "apng"])
    static let jpeg = ContentFormat("a JPEG image", types: ["image/jpeg", "image/jpg", "image/pjpeg"],
                                    extensions: ["jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp"])
    static let gif = ContentFormat("a GIF image", types: ["image/gif"], extensions: ["gif"])
    static let webp = ContentFormat("a WebP image", types: ["image/webp"], extensions: ["webp"])
    static let bmp = ContentFormat("a BMP image", types: ["image/bmp", "image/x-bmp", "image/x-ms-bmp"], extensions: ["bmp"])
    static let tiff = ContentFormat("a TIFF image", types: ["image/tiff"], extensions: ["tif", "tiff"])
    static let icon = ContentFormat("an icon", types: ["image/x-icon", "image/vnd.microsoft.icon"], extensions: ["ico"])
    static let avif = ContentFormat("an AVIF image", types: ["image/avif"], extensions: ["avif"])
    static let heic = ContentFormat("a HEIC image", types: ["image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"],
                                    extensions: ["heic", "heif"])
    static let pdf = ContentFormat("a PDF document", types: ["application/pdf", "application/x-pdf"], extensions: ["pdf"])
    static let zip = ContentFormat("a ZIP archive (or a format built on one)",
                                   types: ["application/zip", "application/x-zip-compressed", "application/java-archive",
                                           "application/vnd.android.package-archive"],
                                   extensions: ["zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk"],
                                   typePrefixes: ["application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument."],
                                   typeSuffixes: ["+zip"])
    static let gzip = ContentFormat("a gzip archive", types: ["application/gzip", "application/x-gzip", "application/x-compressed-tar"],
                                    extensions: ["gz", "tgz"])
    static let sevenZip = ContentFormat("a 7-Zip archive", types: ["application/x-7z-compressed"], extensions: ["7z"])
    static let rar = ContentFormat("a RAR archive", types: ["application/vnd.rar", "application/x-rar-compressed", "application/x-rar"],
                                   extensions: ["rar"])
    static let ole = ContentFormat("a legacy Office (OLE) file",
                                   types: ["application/msword", "application/vnd.ms-powerpoint", "application/vnd.ms-outlook",
                                           "application/x-msi", "application/x-ole-storage"],
                                   extensions: ["doc", "xls", "ppt", "msi", "msg"])
    static let executable = ContentFormat("a program (executable code)",
                                          types: ["application/x-executable", "application/x-msdownload", "application/x-dosexec",
                                                  "application/vnd.microsoft.portable-executable", "application/x-elf",
                                                  "application/x-sharedlib", "application/x-mach-binary", "application/java-vm"],
                                          extensions: ["exe", "dll", "so", "dylib", "class"])
    static let wasm = ContentFormat("a WebAssembly module", types: ["application/wasm"], extensions: ["wasm"])
    static let sqlite = ContentFormat("an SQLite database", types: ["application/vnd.sqlite3", "application/x-sqlite3"],
                                      extensions: ["sqlite", "sqlite3"])
    static let mp3 = ContentFormat("MP3 audio", types: ["audio/mpeg", "audio/mp3", "audio/x-mp3", "audio/mpeg3"], extensions: ["mp3"])
    static let aac = ContentFormat("AAC audio", types: ["audio/aac", "audio/x-aac"], extensions: ["aac"])
    static let flac = ContentFormat("FLAC audio", types: ["audio/flac", "audio/x-flac"], extensions: ["flac"])
    static let wav = ContentFormat("WAV audio", types: ["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"], extensions: ["wav"])
    static let ogg = ContentFormat("Ogg media", types: ["audio/ogg", "video/ogg", "application/ogg", "audio/opus", "audio/vorbis"],
                                   extensions: ["ogg", "oga", "ogv", "opus"])
    static let matroska = ContentFormat("WebM or Matroska media",
                                        types: ["video/webm", "audio/webm", "video/x-matroska", "audio/x-matroska"],
                                        extensions: ["webm", "mkv", "mka"])
    static let mp4 = ContentFormat("MP4 or QuickTime media",
                                   types: ["video/mp4", "audio/mp4", "audio/x-m4a", "video/x-m4v", "video/quicktime",
                                           "video/3gpp", "video/3gpp2", "audio/3gpp"],
                                   extensions: ["mp4", "m4a", "m4v", "mov", "3gp", "3g2"])
    static let avi = ContentFormat("AVI video", types: ["video/x-msvideo", "video/avi", "video/msvideo"], extensions: ["avi"])

    /// Every format identified by a signature.
    package static let formats = [png, jpeg, gif, webp, bmp, tiff, icon, avif, heic, pdf, zip, gzip, sevenZip, rar, ole, executable,
                                  wasm, sqlite, mp3, aac, flac, wav, ogg, matroska, mp4, avi]

    /// Types that run scripts when a browser renders them as a page.
    static let activeTypes: [String: ContentKind.ActiveKind] = [
        "text/html": .html, "application/xhtml+xml": .html, "image/svg+xml": .svg, "text/xml": .xml, "application/xml": .xml,
        "text/javascript": .script, "application/javascript": .script, "application/ecmascript": .script, "text/ecmascript": .script,
    ]
    static let activeExtensions: [String: ContentKind.ActiveKind] = [
        "html": .html, "htm": .html, "xhtml": .html, "shtml": .html, "svg": .svg, "svgz": .svg, "xml": .xml, "js": .script, "mjs": .script,
    ]
    /// Types browsers are known to give files of other kinds (Windows labels CSV files as Excel
    /// sheets; TypeScript's `.ts` is MPEG transport stream's extension too): only the name and
    /// the content are compared for them.
    static let mislabels: Set<String> = ["application/vnd.ms-excel", "video/mp2t"]
    /// Extensions of text formats (a file named so must hold text).
    static let textExtensions: Set<String> = ["txt", "text", "csv", "tsv", "md", "markdown", "json", "ndjson", "log", "yaml", "yml",
                                              "ini", "toml", "rtf", "tex", "srt", "vtt", "css", "sql", "sh"]

    // MARK: identification

    /// What `prefix` (a file's first bytes, at most `prefixLength`) is.
    package static func identify(_ prefix: [UInt8]) -> ContentKind {
        if let format = signature(prefix) { return .format(format) }
        guard isText(prefix) else { return .unknownBinary }
        return markup(prefix).map(ContentKind.active) ?? .text
    }

    static func starts(_ bytes: [UInt8], _ signature: [UInt8], at offset: Int = 0) -> Bool {
        bytes.count >= offset + signature.count && Array(bytes[offset..<(offset + signature.count)]) == signature
    }

    static func starts(_ bytes: [UInt8], _ ascii: StaticString, at offset: Int = 0) -> Bool {
        ascii.withUTF8Buffer { starts(bytes, Array($0), at: offset) }
    }

    static func signature(_ b: [UInt8]) -> ContentFormat? {
        if starts(b, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png }
        if starts(b, [0xFF, 0xD8, 0xFF]) { return jpeg }
        if starts(b, "GIF87a") || starts(b, "GIF89a") { return gif }
        if starts(b, "RIFF") {
            if starts(b, "WEBP", at: 8) { return webp }
            if starts(b, "WAVE", at: 8) { return wav }
            if starts(b, "AVI ", at: 8) { return avi }
        }
        // BMP: "BM", then the file size, then two reserved fields that are zero.
        if starts(b, "BM"), b.count >= 14, b[6..<10].allSatisfy({ $0 == 0 }) { return bmp }
        if starts(b, [0x49, 0x49, 0x2A, 0x00]) || starts(b, [0x4D, 0x4D, 0x00, 0x2A]) { return tiff }
        if starts(b, [0x00, 0x00, 0x01, 0x00]), b.count >= 6, b[4] != 0 || b[5] != 0 { return icon }
        if starts(b, "ftyp", at: 4), b.count >= 12 {
            let brand = String(decoding: b[8..<12], as: UTF8.self)
            if ["avif", "avis"].contains(brand) { return avif }
            if ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"].contains(brand) { return heic }
            return mp4
        }
        if firstIndex(of: "%PDF-", in: b, within: 1024) != nil { return pdf }
        if starts(b, [0x50, 0x4B, 0x03, 0x04]) || starts(b, [0x50, 0x4B, 0x05, 0x06]) || starts(b, [0x50, 0x4B, 0x07, 0x08]) { return zip }
        if starts(b, [0x1F, 0x8B]) { return gzip }
        if starts(b, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return sevenZip }
        if starts(b, "Rar!\u{1A}\u{07}") { return rar }
        if starts(b, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return ole }
        if isExecutable(b) { return executable }
        if starts(b, [0x00, 0x61, 0x73, 0x6D]) { return wasm }
        if starts(b, "SQLite format 3\u{0}") { return sqlite }
        if starts(b, "fLaC") { return flac }
        if starts(b, "OggS") { return ogg }
        if starts(b, [0x1A, 0x45, 0xDF, 0xA3]) { return matroska }
        if starts(b, "ID3") { return mp3 }
        // An MPEG audio frame: 11 sync bits, then the layer (AAC's ADTS frames have layer 0).
        if b.count >= 2, b[0] == 0xFF, b[1] & 0xE0 == 0xE0 {
            let layer = (b[1] >> 1) & 0x03
            let version = (b[1] >> 3) & 0x03
            if layer == 0 && b[1] & 0xF6 == 0xF0 { return aac }
            if layer != 0 && version != 1 { return mp3 }
        }
        return nil
    }

    /// ELF, a Windows program (MZ with its PE header where the DOS header points), Mach-O (and
    /// Java class files, which share the universal binary's magic).
    static func isExecutable(_ b: [UInt8]) -> Bool {
        if starts(b, [0x7F, 0x45, 0x4C, 0x46]) { return true }
        if starts(b, [0xFE, 0xED, 0xFA, 0xCE]) || starts(b, [0xFE, 0xED, 0xFA, 0xCF])
            || starts(b, [0xCE, 0xFA, 0xED, 0xFE]) || starts(b, [0xCF, 0xFA, 0xED, 0xFE]) || starts(b, [0xCA, 0xFE, 0xBA, 0xBE]) {
            return true
        }
        if starts(b, "MZ"), b.count >= 64 {
            let offset = Int(b[60]) | Int(b[61]) << 8 | Int(b[62]) << 16 | Int(b[63]) << 24
            if offset + 4 <= b.count { return starts(b, "PE\u{0}\u{0}", at: offset) }
            // The PE header lies past what was read: a DOS header that is not text is a program.
            return !isText(b)
        }
        return false
    }

    static func firstIndex(of needle: StaticString, in bytes: [UInt8], within limit: Int) -> Int? {
        needle.withUTF8Buffer { needle -> Int? in
            let end = min(bytes.count, limit) - needle.count
            guard end >= 0 else { return nil }
            for start in 0...end where bytes[start] == needle[0] {
                if (1..<needle.count).allSatisfy({ bytes[start + $0] == needle[$0] }) { return start }
            }
            return nil
        }
    }

    /// No byte below 0x20 but tab, newline, form feed, carriage return and escape; a UTF-16
    /// byte-order mark counts as text too (its NULs are part of its characters).
    static func isText(_ b: [UInt8]) -> Bool {
        if starts(b, [0xFF, 0xFE]) || starts(b, [0xFE, 0xFF]) { return true }
        return b.allSatisfy { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0C || $0 == 0x0D || $0 == 0x1B }
    }

    /// Markup a browser would render as a page (the tags WHATWG's MIME sniffing looks for at the
    /// start, after a byte-order mark and whitespace), SVG and XML.
    static func markup(_ b: [UInt8]) -> ContentKind.ActiveKind? {
        var start = starts(b, [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < b.count, [0x09, 0x0A, 0x0C, 0x0D, 0x20].contains(b[start]) { start += 1 }
        let head = String(decoding: b[start...].prefix(ContentCheck.prefixLength), as: UTF8.self).lowercased()
        guard head.hasPrefix("<") else { return nil }
        if head.hasPrefix("<svg") || (head.hasPrefix("<?xml") || head.hasPrefix("<!doctype svg")) && head.contains("<svg") {
            return .svg
        }
        if head.hasPrefix("<?xml") {
            return head.contains("<html") ? .html : .xml
        }
        let tags = ["<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table", "<a", "<style",
                    "<title", "<b", "<body", "<br", "<p", "<!--", "<meta", "<img", "<form", "<object", "<embed"]
        for tag in tags where head.hasPrefix(tag) {
            // The tag must end there (`<a>` or `<a href`, not `<abbr>` or a `<b`-word in text).
            let next = head.dropFirst(tag.count).first
            if tag == "<!--" || next == nil || next == " " || next == ">" || next == "\t" || next == "\n" || next == "\r" || next == "/" {
                return .html
            }
        }
        return nil
    }

    // MARK: the check

    /// Why an upload's content disagrees with its declared type, its file name or its purpose;
    /// nil when they all agree. Active content never passes as an image, and passes at all only
    /// for a purpose that is not limited to images (it is then always served as an attachment).
    package static func disagreement(prefix: [UInt8], declaredType: String, fileName: String, purpose: UploadPurpose) -> String? {
        let content = identify(prefix)
        let declared = MediaType.essence(declaredType)
        let dot = FileName.keyExtension(fileName)
        let ext = dot.isEmpty ? nil : String(dot.dropFirst())

        if let reason = typeDisagreement(content, declared: declared) { return reason }
        if let reason = activeContentRefusal(content, declared: declared, ext: ext, purpose: purpose) { return reason }
        if let ext, let reason = extensionDisagreement(content, ext: ext) { return reason }
        return nil
    }

    static func activeContentRefusal(_ content: ContentKind, declared: String, ext: String?, purpose: UploadPurpose) -> String? {
        let active: ContentKind.ActiveKind?
        if case .active(let kind) = content { active = kind } else { active = activeTypes[declared] ?? ext.flatMap { activeExtensions[$0] } }
        guard let active else { return nil }
        let allowed = purpose.allowedTypePrefix.lowercased()
        if allowed.hasPrefix("image/") && allowed != "image/svg+xml" {
            return "the file is \(active.rawValue), which can run scripts; \(purpose.name) files must be images without active content"
        }
        return nil
    }

    static func typeDisagreement(_ content: ContentKind, declared: String) -> String? {
        guard declared != MediaType.unknown, declared != "binary/octet-stream", !mislabels.contains(declared) else { return nil }
        let declaredFormat = formats.first { $0.names(type: declared) }
        switch content {
        case .format(let format):
            if let declaredFormat, declaredFormat != format {
                return "the file is \(format.description) (\(format.types[0])), not the declared \(declared)"
            }
            if declaredFormat == nil && (isTextual(declared) || activeTypes[declared] != nil) {
                return "the file is \(format.description) (\(format.types[0])), not the declared \(declared)"
            }
            if declaredFormat == nil && declared.hasPrefix("image/") && !format.types[0].hasPrefix("image/") {
                return "the file is \(format.description) (\(format.types[0])), not the declared \(declared)"
            }
            return nil
        case .active(let kind):
            if let declaredFormat { return "the file is \(kind.rawValue), not \(declaredFormat.description) as declared (\(declared))" }
            if kind == .svg && declared == "image/svg+xml" { return nil }
            if declared.hasPrefix("image/") || declared.hasPrefix("audio/") || declared.hasPrefix("video/") {
                return "the file is \(kind.rawValue), not the declared \(declared)"
            }
            return nil
        case .text:
            if let declaredFormat { return "the file is text, not \(declaredFormat.description) as declared (\(declared))" }
            if declared.hasPrefix("image/") || declared.hasPrefix("audio/") || declared.hasPrefix("video/") {
                return "the file is text, not the declared \(declared)"
            }
            return nil
        case .unknownBinary:
            if let declaredFormat { return "the file is not \(declaredFormat.description) as declared (\(declared)): its first bytes are not that format's" }
            if isTextual(declared) { return "the file is binary data, not the declared \(declared)" }
            return nil
        }
    }

    static func extensionDisagreement(_ content: ContentKind, ext: String) -> String? {
        if let named = formats.first(where: { $0.extensions.contains(ext) }) {
            if case .format(let format) = content, format == named { return nil }
            return "the file's name ends in .\(ext), which is \(named.description), but the file is \(content.description)"
        }
        if textExtensions.contains(ext) || activeExtensions[ext] != nil {
            switch content {
            case .text, .active: return nil
            case .format, .unknownBinary: return "the file's name ends in .\(ext), a text format, but the file is \(content.description)"
            }
        }
        return nil
    }

    /// Types whose content is text: `text/*`, JSON, XML, JavaScript, YAML, CSV and their kin.
    static func isTextual(_ essence: String) -> Bool {
        essence.hasPrefix("text/") || essence.hasSuffix("+json") || essence.hasSuffix("+xml")
            || ["application/json", "application/xml", "application/javascript", "application/ecmascript", "application/x-sh",
                "application/x-yaml", "application/yaml", "application/x-ndjson", "application/sql", "application/rtf",
                "application/x-tex", "application/x-httpd-php", "application/graphql"].contains(essence)
    }
}
