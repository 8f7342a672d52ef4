import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// Headers in SigV4's canonical form: lower-case names sorted, values trimmed with inner runs
/// of spaces collapsed, repeated names joined with commas in the order they were given.
struct CanonicalHeaders {
    private(set) var entries: [(name: String, value: String)] = []
    /// `content-type;host;x-amz-date`.
    private(set) var signedHeaders = ""

    /// Refuses names that are not HTTP tokens and values that are not printable ASCII, so a
    /// signature never covers bytes a client or proxy would send differently.
    init(_ headers: HTTPHeaders) throws(SigningError) {
        var merged: [(name: String, value: String)] = []
        merged.reserveCapacity(headers.fields.count)
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
        signedHeaders = entries.map(\.name).joined(separator: ";")
    }

    /// Only `host`: the common presigned GET, without the general path's work.
    init(host: String) throws(SigningError) {
        entries = [(name: "host", value: try CanonicalHeaders.canonicalValue(host, name: "host"))]
        signedHeaders = "host"
    }

    /// These headers plus `host` (which must not be among them yet).
    func adding(host: String) throws(SigningError) -> CanonicalHeaders {
        var copy = self
        let value = try CanonicalHeaders.canonicalValue(host, name: "host")
        let index = copy.entries.firstIndex { !$0.name.utf8.lexicographicallyPrecedes("host".utf8) } ?? copy.entries.count
        copy.entries.insert((name: "host", value: value), at: index)
        copy.signedHeaders = copy.entries.map(\.name).joined(separator: ";")
        return copy
    }

    var names: [String] { entries.map(\.name) }

    /// The signed header list as it goes in a query (`;` percent-encoded).
    var encodedSignedHeaders: String {
        signedHeaders.utf8.contains(UInt8(ascii: ";")) ? PercentEncoding.encode(signedHeaders) : signedHeaders
    }

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
        output.append(contentsOf: signedHeaders.utf8)
        output.append(0x0A)
    }

    static func canonicalName(_ name: String) throws(SigningError) -> String {
        guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isTokenByte) else {
            throw .invalidHeader("header name \"\(printable(name))\" is not a valid HTTP header name")
        }
        return name.utf8.contains(where: { (0x41...0x5A).contains($0) }) ? name.lowercased() : name
    }

    static func canonicalValue(_ value: String, name: String) throws(SigningError) -> String {
        var clean = true  // already canonical: no tabs, no leading, trailing or doubled spaces
        var previous: UInt8 = 0x20
        for byte in value.utf8 {
            guard byte == 0x09 || (0x20...0x7E).contains(byte) else {
                throw .invalidHeader("the value of header \(name) must be printable ASCII; encode other characters first (e.g. RFC 2047 or percent-encoding)")
            }
            if byte == 0x09 || (byte == 0x20 && previous == 0x20) { clean = false }
            previous = byte
        }
        if clean && previous != 0x20 { return value }
        var output: [UInt8] = []
        output.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
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

    /// A name quoted in an error message, with anything odd replaced so the message stays one line.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(64).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
