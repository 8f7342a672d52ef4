import PresigndCrypto
import PresigndHTTP
import PresigndSigning
import PresigndSupport

/// A client-supplied file name made safe to store, sign into a header and show back.
package enum FileName {
    /// Longest name kept, in UTF-8 bytes.
    package static let maxBytes = 255
    /// Longest extension kept in an object key, without the dot.
    package static let maxExtensionLength = 10

    /// Strips path parts (after the last `/` or `\`), removes control and bidi-override
    /// characters, trims spaces and dots at the ends, and caps the length (keeping the
    /// extension). Nil when nothing is left.
    package static func sanitize(_ raw: String) -> String? {
        if let ascii = sanitizeASCII(raw) { return ascii.isEmpty ? nil : capped(ascii) }
        return sanitizeByScalars(raw)
    }

    /// `sanitize` on Unicode scalars, for any name.
    static func sanitizeByScalars(_ raw: String) -> String? {
        // Split on scalars, not Characters: "/" followed by a combining mark is one Character
        // that is not "/", and would otherwise keep the path part.
        let lastPart = raw.unicodeScalars.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last.map(Array.init) ?? []
        let kept = lastPart.filter { !isRemoved($0) }
        var name = Substring(String(String.UnicodeScalarView(kept)))
        while let first = name.first, first == " " || first == "." { name = name.dropFirst() }
        while let last = name.last, last == " " || last == "." { name = name.dropLast() }
        guard !name.isEmpty else { return nil }
        return capped(String(name))
    }

    /// `sanitize` for an all-ASCII name, byte by byte (every ASCII scalar is its own Character
    /// there but CR LF, whose bytes are both removed); "" when nothing is left, nil when `raw`
    /// is not ASCII.
    static func sanitizeASCII(_ raw: String) -> String? {
        var raw = raw
        return raw.withUTF8 { bytes -> String? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            var start = bytes.count
            while start > 0, bytes[start - 1] != UInt8(ascii: "/"), bytes[start - 1] != UInt8(ascii: "\\") { start -= 1 }
            var kept: [UInt8] = []
            kept.reserveCapacity(bytes.count - start)
            for byte in bytes[start...] where byte >= 0x20 && byte != 0x7F { kept.append(byte) }
            var first = 0, last = kept.count
            while first < last, kept[first] == UInt8(ascii: " ") || kept[first] == UInt8(ascii: ".") { first += 1 }
            while last > first, kept[last - 1] == UInt8(ascii: " ") || kept[last - 1] == UInt8(ascii: ".") { last -= 1 }
            return String(decoding: kept[first..<last], as: UTF8.self)
        }
    }

    /// The extension for an object key (`.pdf`), lower-cased: kept only when it is 1–10 ASCII
    /// letters or digits, so a key never carries odd characters from a name.
    package static func keyExtension(_ sanitizedName: String) -> String {
        guard let dot = sanitizedName.lastIndex(of: "."), dot != sanitizedName.startIndex else { return "" }
        let ext = sanitizedName[sanitizedName.index(after: dot)...]
        guard (1...maxExtensionLength).contains(ext.utf8.count),
              ext.utf8.allSatisfy({ ASCII.isAlphanumeric($0) }) else { return "" }
        return "." + ext.lowercased()
    }

    /// C0, DEL, C1, line/paragraph separators and the bidi controls that can disguise an
    /// extension (`evil\u{202E}fdp.exe`).
    static func isRemoved(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// Cuts the stem on a character boundary so stem + extension fits in `maxBytes`.
    static func capped(_ name: String) -> String {
        guard name.utf8.count > maxBytes else { return name }
        let ext = keyExtension(name)
        let budget = maxBytes - ext.utf8.count
        var stem = ext.isEmpty ? Substring(name) : name[..<name.lastIndex(of: ".")!]
        while stem.utf8.count > budget { stem = stem.dropLast() }
        return ext.isEmpty ? String(stem) : String(stem) + String(name[name.lastIndex(of: ".")!...])
    }
}
