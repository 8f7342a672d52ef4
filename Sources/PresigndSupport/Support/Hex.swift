package enum Hex {
    package static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex, as SigV4 writes hashes and signatures. For byte arrays (every caller on a
    /// request's path) a concrete function: a generic one called from another target runs
    /// unspecialised, through a generic iterator (15 k instructions per presign, callgrind).
    package static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            String(unsafeUninitializedCapacity: buffer.count * 2) { output in
                lowerDigits.withUnsafeBufferPointer { digits in
                    for (index, byte) in buffer.enumerated() {
                        output[2 * index] = digits[Int(byte >> 4)]
                        output[2 * index + 1] = digits[Int(byte & 0x0F)]
                    }
                }
                return buffer.count * 2
            }
        }
    }

    package static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        encode(Array(bytes))
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
