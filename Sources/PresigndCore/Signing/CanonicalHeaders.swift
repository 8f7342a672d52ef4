/// Headers in SigV4's canonical form: lower-case names sorted, values trimmed with inner runs
/// of spaces collapsed, repeated names joined with commas in the order they were given.
struct CanonicalHeaders {
    private(set) var entries: [(name: String, value: String)] = []

    /// Refuses names that are not HTTP tokens and values that are not printable ASCII, so a
    /// signature never covers bytes a client or proxy would send differently.
    init(_ headers: HTTPHeaders) throws(SigningError) {
        var merged: [(name: String, value: String)] = []
        for field in headers {
            let name = try CanonicalHeaders.canonicalName(field.name)
            let value = try CanonicalHeaders.canonicalValue(field.value, name: name)
            if let index = merged.firstIndex(where: { $0.name == name }) {
                merged[index].value += "," + value
            } else {
                merged.append((name: name, value: value))
            }
        }
        entries = merged.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    var names: [String] { entries.map(\.name) }

    /// `content-type;host;x-amz-date`.
    var signedHeaders: String { names.joined(separator: ";") }

    func contains(_ name: String) -> Bool { entries.contains { $0.name == name } }

    /// `name:value\n` for each header, then the blank line and the signed header list.
    func write(to output: inout [UInt8]) {
        for entry in entries {
            output.append(contentsOf: entry.name.utf8)
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: entry.value.utf8)
            output.append(0x0A)
        }
        output.append(0x0A)
        for (index, entry) in entries.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ";")) }
            output.append(contentsOf: entry.name.utf8)
        }
        output.append(0x0A)
    }

    static func canonicalName(_ name: String) throws(SigningError) -> String {
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
            throw .invalidHeader("header name \"\(printable(name))\" is not a valid HTTP header name")
        }
        return name.lowercased()
    }

    static func canonicalValue(_ value: String, name: String) throws(SigningError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            guard byte == 0x09 || (0x20...0x7E).contains(byte) else {
                throw .invalidHeader("the value of header \(name) must be printable ASCII; encode other characters first (e.g. RFC 2047 or percent-encoding)")
            }
            if byte == 0x20 || byte == 0x09 {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(0x20) }
                pendingSpace = false
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// A name quoted in an error message, with anything odd replaced so the message stays one line.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(64).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
