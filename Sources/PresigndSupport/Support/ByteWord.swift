/// Eight bytes tested at once, for scans of long ASCII text (a JSON string, a header value):
/// the `hasless` and `haszero` tricks of "Bit Twiddling Hacks". Each mask has a byte's high bit
/// set where that byte may match; as a yes or no (mask != 0) it is exact, for a word in either
/// byte order, since a borrow only runs on from a byte that matched. `public` and `@inlinable`
/// only so the optimiser inlines them into the scans in other targets (it does not inline
/// `package` functions across targets, and a call per word costs more than the test).
public enum ByteWord {
    @usableFromInline static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @usableFromInline static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// The eight bytes at `index` (`index + 8 <= bytes.count`), in memory order.
    @inlinable @inline(__always)
    public static func load(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
        UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
    }

    /// Non-zero when a byte of `word` is below `limit` (at most 0x80).
    @inlinable @inline(__always)
    public static func below(_ limit: UInt8, in word: UInt64) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highs
    }

    /// Non-zero when a byte of `word` is `byte`.
    @inlinable @inline(__always)
    public static func equal(_ byte: UInt8, in word: UInt64) -> UInt64 {
        let difference = word ^ (ones &* UInt64(byte))
        return (difference &- ones) & ~difference & highs
    }

    /// Non-zero when a byte of `word` is outside ASCII.
    @inlinable @inline(__always)
    public static func nonASCII(in word: UInt64) -> UInt64 { word & highs }
}
