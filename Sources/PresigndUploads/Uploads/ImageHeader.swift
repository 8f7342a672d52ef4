/// An image's format and pixel dimensions, read from its first bytes without decoding it: what
/// the media route checks before nginx's image filter (libgd) decodes a whole image into memory,
/// so a small file that claims 50,000 × 50,000 pixels (a decompression bomb) is refused first.
package struct ImageHeader: Sendable, Equatable {
    package enum Format: String, Sendable {
        case png, jpeg, gif, webp
    }

    package let format: Format
    package let width: Int
    package let height: Int

    package var pixels: Int { width * height }

    package init(format: Format, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    /// Bytes enough for the dimensions of nearly every image: JPEG's frame header comes after
    /// its metadata segments (Exif, ICC profiles), which can be long.
    package static let readLength = 256 * 1024

    package enum Problem: Error, Sendable, Equatable {
        /// Not a PNG, JPEG, GIF or WebP file.
        case notAnImage
        /// One of those, but its dimensions are not where they should be (truncated, corrupt,
        /// or a JPEG whose frame header lies beyond the bytes read).
        case unreadable(Format)
    }

    /// The header of `bytes` (an image's first bytes). The format is the one `ContentCheck`
    /// identifies; only its dimensions are read here.
    package static func read(_ bytes: [UInt8]) -> Result<ImageHeader, Problem> {
        func be16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        func le16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        func be32(_ i: Int) -> Int { be16(i) << 16 | be16(i + 2) }
        func le24(_ i: Int) -> Int { le16(i) | Int(bytes[i + 2]) << 16 }
        func found(_ format: Format, _ width: Int, _ height: Int) -> Result<ImageHeader, Problem> {
            width > 0 && height > 0 ? .success(ImageHeader(format: format, width: width, height: height)) : .failure(.unreadable(format))
        }

        switch ContentCheck.signature(bytes) {
        case ContentCheck.png?:
            // The first chunk is IHDR: width and height, 4 bytes each, big-endian.
            guard bytes.count >= 24, ContentCheck.starts(bytes, "IHDR", at: 12) else { return .failure(.unreadable(.png)) }
            return found(.png, be32(16), be32(20))
        case ContentCheck.gif?:
            guard bytes.count >= 10 else { return .failure(.unreadable(.gif)) }
            return found(.gif, le16(6), le16(8))
        case ContentCheck.webp?:
            guard bytes.count >= 30 else { return .failure(.unreadable(.webp)) }
            if ContentCheck.starts(bytes, "VP8 ", at: 12), ContentCheck.starts(bytes, [0x9D, 0x01, 0x2A], at: 23) {
                return found(.webp, le16(26) & 0x3FFF, le16(28) & 0x3FFF)
            }
            if ContentCheck.starts(bytes, "VP8L", at: 12), bytes[20] == 0x2F {
                let bits = Int(bytes[21]) | Int(bytes[22]) << 8 | Int(bytes[23]) << 16 | Int(bytes[24]) << 24
                return found(.webp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
            }
            if ContentCheck.starts(bytes, "VP8X", at: 12) {
                return found(.webp, le24(24) + 1, le24(27) + 1)
            }
            return .failure(.unreadable(.webp))
        case ContentCheck.jpeg?:
            // Segments after SOI: FF, a marker, then (for most) a 2-byte length that counts
            // itself. A start-of-frame segment (C0–CF but C4, C8, CC) holds the dimensions.
            var i = 2
            while i + 4 <= bytes.count {
                guard bytes[i] == 0xFF else { return .failure(.unreadable(.jpeg)) }
                let marker = bytes[i + 1]
                if marker == 0xFF { i += 1; continue }  // fill byte
                if marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
                if marker == 0xD9 || marker == 0xDA { return .failure(.unreadable(.jpeg)) }  // image data before any frame
                let length = be16(i + 2)
                guard length >= 2 else { return .failure(.unreadable(.jpeg)) }
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    guard i + 9 <= bytes.count else { return .failure(.unreadable(.jpeg)) }
                    return found(.jpeg, be16(i + 7), be16(i + 5))
                }
                i += 2 + length
            }
            return .failure(.unreadable(.jpeg))
        default:
            return .failure(.notAnImage)
        }
    }
}
