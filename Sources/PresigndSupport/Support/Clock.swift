#if canImport(Glibc)
import Glibc
#endif

/// Seconds since the Unix epoch. Passed in everywhere a signature or a claim depends on time,
/// so every result is reproducible in a test.
package typealias UnixSeconds = Int64

/// Where "now" comes from.
package protocol Clock: Sendable {
    func now() -> UnixSeconds
}

/// A clock that always says the same time, for tests and `--at`.
package struct FixedClock: Clock {
    package let time: UnixSeconds
    package init(_ time: UnixSeconds) { self.time = time }
    package func now() -> UnixSeconds { time }
}

/// UTC calendar arithmetic without Foundation's formatters (which pull in ICU).
package struct UTCDateTime: Sendable, Equatable {
    package var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    package init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// Howard Hinnant's civil-from-days algorithm.
    package init(_ time: UnixSeconds) {
        let days = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
        let secondsOfDay = Int(time - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.init(year: Int(y), month: Int(m), day: Int(d),
                  hour: secondsOfDay / 3600, minute: secondsOfDay % 3600 / 60, second: secondsOfDay % 60)
    }

    package var unixSeconds: UnixSeconds {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `20260314T150926Z`, as SigV4's X-Amz-Date.
    package var amzDate: String {
        format(16) { $0.year(); $0.two(month); $0.two(day); $0.byte("T"); $0.two(hour); $0.two(minute); $0.two(second); $0.byte("Z") }
            ?? "\(pad(year, 4))\(pad(month))\(pad(day))T\(pad(hour))\(pad(minute))\(pad(second))Z"
    }
    /// `20260314`, as SigV4's credential scope.
    package var dateStamp: String {
        format(8) { $0.year(); $0.two(month); $0.two(day) } ?? "\(pad(year, 4))\(pad(month))\(pad(day))"
    }
    /// `2026-03-14T15:09:26Z`.
    package var iso8601: String {
        format(20) { $0.date(); $0.byte("T"); $0.time(); $0.byte("Z") }
            ?? "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))Z"
    }
    /// `2026-03-14T15:09:26.000Z`, the form S3 POST policies use for `expiration`.
    package var iso8601Milliseconds: String {
        format(24) { $0.date(); $0.byte("T"); $0.time(); $0.text(".000Z") }
            ?? "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second)).000Z"
    }

    static let weekdays: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sat, 14 Mar 2026 15:09:26 GMT`, as HTTP dates and cookie `Expires` are written.
    package var httpDate: String {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let weekday = UTCDateTime.weekdays[Int(((days % 7) + 7) % 7)]
        let month = UTCDateTime.months[self.month - 1]
        return format(29) {
            $0.text(weekday); $0.text(", "); $0.two(day); $0.byte(" "); $0.text(month); $0.byte(" "); $0.year(); $0.byte(" ")
            $0.time(); $0.text(" GMT")
        } ?? "\(weekday), \(pad(day)) \(month) \(pad(year, 4)) \(pad(hour)):\(pad(minute)):\(pad(second)) GMT"
    }

    /// Writes a fixed-width form straight into a String; nil when a field would not fit its
    /// width (a year outside 0…9999, a field outside 0…99 from the memberwise init), for which
    /// the padded interpolation says what it always said.
    private func format(_ width: Int, _ write: (inout DigitWriter) -> Void) -> String? {
        guard (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day),
              (0...99).contains(hour), (0...99).contains(minute), (0...99).contains(second) else { return nil }
        return String(unsafeUninitializedCapacity: width) { buffer in
            var writer = DigitWriter(buffer: buffer, value: self)
            write(&writer)
            return writer.count
        }
    }

    private struct DigitWriter {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        let value: UTCDateTime
        var count = 0

        init(buffer: UnsafeMutableBufferPointer<UInt8>, value: UTCDateTime) {
            self.buffer = buffer
            self.value = value
        }

        mutating func byte(_ character: Unicode.Scalar) {
            buffer[count] = UInt8(ascii: character)
            count += 1
        }

        mutating func two(_ number: Int) {
            buffer[count] = UInt8(ascii: "0") + UInt8(number / 10)
            buffer[count + 1] = UInt8(ascii: "0") + UInt8(number % 10)
            count += 2
        }

        mutating func year() {
            two(value.year / 100)
            two(value.year % 100)
        }

        mutating func date() {
            year(); byte("-"); two(value.month); byte("-"); two(value.day)
        }

        mutating func time() {
            two(value.hour); byte(":"); two(value.minute); byte(":"); two(value.second)
        }

        mutating func text(_ text: StaticString) {
            text.withUTF8Buffer { bytes in
                for byte in bytes {
                    buffer[count] = byte
                    count += 1
                }
            }
        }
    }

    /// Parses exactly `20260314T150926Z` or `2026-03-14T15:09:26Z` (optionally `.sss` before the Z).
    package static func parse(_ text: String) -> UTCDateTime? {
        let chars = Array(text.utf8)
        let shape: [UInt8]
        switch chars.count {
        case 16: shape = Array("ddddddddTddddddZ".utf8)
        case 20: shape = Array("dddd-dd-ddTdd:dd:ddZ".utf8)
        case 24: shape = Array("dddd-dd-ddTdd:dd:dd.dddZ".utf8)
        default: return nil
        }
        var digits: [Int] = []
        for (char, expected) in zip(chars, shape) {
            if expected == UInt8(ascii: "d") {
                guard char >= UInt8(ascii: "0"), char <= UInt8(ascii: "9") else { return nil }
                digits.append(Int(char - UInt8(ascii: "0")))
            } else if char != expected {
                return nil
            }
        }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + $1 } }
        let value = UTCDateTime(year: number(0..<4), month: number(4..<6), day: number(6..<8),
                                hour: number(8..<10), minute: number(10..<12), second: number(12..<14))
        guard (1...12).contains(value.month), (1...31).contains(value.day), value.hour < 24, value.minute < 60, value.second < 60 else {
            return nil
        }
        // Round-trip to reject 31 February and the like.
        guard UTCDateTime(value.unixSeconds) == value else { return nil }
        return value
    }

    private func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

/// The system's wall clock.
package struct WallClock: Clock {
    package init() {}

    package func now() -> UnixSeconds {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UnixSeconds(time.tv_sec)
    }
}

/// Seconds from an arbitrary start, never going back: for durations.
package enum MonotonicTime {
    package static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The same clock in whole milliseconds: for deadlines and back-off.
    package static func milliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// The wall clock with milliseconds: for log lines (`2026-12-01T12:49:54.123Z`) and ids.
package enum WallTime {
    /// Milliseconds since the Unix epoch.
    package static func unixMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec / 1_000_000)
    }

    package static func iso8601Milliseconds() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let millis = String(time.tv_nsec / 1_000_000)
        let text = UTCDateTime(Int64(time.tv_sec)).iso8601
        return text.dropLast() + "." + String(repeating: "0", count: 3 - millis.count) + millis + "Z"
    }
}
