/// An IPv4 or IPv6 address range in CIDR form (`192.0.2.0/24`, `2001:db8::/32`; a bare address
/// is that one host), for CloudFront's `IpAddress` condition.
package struct IPRange: Sendable, Equatable {
    /// The network address, 4 or 16 bytes.
    package let network: [UInt8]
    package let prefixLength: Int

    package init?(cidr: String) {
        let parts = cidr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPRange.parse(String(parts[0])) else { return nil }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard parts[1].utf8.count <= 3, let value = Int(parts[1]), (0...bits).contains(value) else { return nil }
            length = value
        }
        network = address
        prefixLength = length
    }

    /// Whether `address` (as nginx gives `REMOTE_ADDR`) is inside; an IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.1`) counts as its IPv4 address.
    package func contains(_ address: String) -> Bool {
        guard var bytes = IPRange.parse(address) else { return false }
        if bytes.count == 16 && network.count == 4 && bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        guard bytes.count == network.count else { return false }
        var remaining = prefixLength
        for index in 0..<bytes.count where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - remaining))
            guard bytes[index] & mask == network[index] & mask else { return false }
            remaining -= 8
        }
        return true
    }

    /// Dotted-quad IPv4 (4 bytes) or RFC 4291 IPv6 text with `::` (16 bytes); nil otherwise.
    package static func parse(_ text: String) -> [UInt8]? {
        if !text.contains(":") { return parseIPv4(Substring(text)) }
        guard text.utf8.count <= 45 else { return nil }
        guard let halves = splitAtDoubleColon(text) else { return nil }
        func groups(_ part: Substring) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    bytes += v4
                } else {
                    guard (1...4).contains(piece.utf8.count), piece.utf8.allSatisfy({ PercentEncoding.hexValue($0) != nil }),
                          let value = UInt16(piece, radix: 16) else { return nil }
                    bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                }
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// The text before and after its one `::` (one part when there is none); nil for two.
    static func splitAtDoubleColon(_ text: String) -> [Substring]? {
        let bytes = Array(text.utf8)
        for index in 0..<max(bytes.count - 1, 0) where bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == UInt8(ascii: ":") {
            let head = text.utf8[..<text.utf8.index(text.startIndex, offsetBy: index)]
            let tail = text.utf8[text.utf8.index(text.startIndex, offsetBy: index + 2)...]
            guard !Substring(tail).contains("::") else { return nil }
            return [Substring(head), Substring(tail)]
        }
        return [Substring(text)]
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = UInt8(part), part == "0" || !part.hasPrefix("0") else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}
