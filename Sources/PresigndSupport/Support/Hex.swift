package enum Hex {
    package static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex, as SigV4 writes hashes and signatures.
    package static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(lowerDigits[Int(byte >> 4)])
            output.append(lowerDigits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    package static func decode(_ string: String) -> [UInt8]? {
        let chars = Array(string.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let high = PercentEncoding.hexValue(chars[i]), let low = PercentEncoding.hexValue(chars[i + 1]) else { return nil }
            output.append(high << 4 | low)
            i += 2
        }
        return output
    }
}
