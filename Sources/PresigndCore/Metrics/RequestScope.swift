#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What the serving thread knows about the request it is answering, for its log lines, its
/// metrics and its error body: bound for the request's duration (a task-local, which outside a
/// task is the thread's own), so code deep in a flow logs with the request id without passing it.
public final class RequestScope: @unchecked Sendable {
    @TaskLocal public static var current: RequestScope?

    /// From `X-Request-ID` (nginx's `$request_id` in the shipped configuration) when it is a
    /// plausible id, otherwise made here.
    public let requestID: String
    /// The route pattern that answered (`/api/documents/{id}/download`), or what answered instead.
    public var route = "unmatched"
    public var userID: String?
    /// The error code of the answer, when it was an error.
    public var errorCode: String?

    public init(requestID: String) { self.requestID = requestID }

    /// `header` when it is 1–128 characters of `[A-Za-z0-9._:-]` (so it is safe to log and echo),
    /// otherwise a fresh id.
    public static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
           header.utf8.allSatisfy({ FileName.isASCIIAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
               || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }) {
            return header
        }
        return RequestIDs.shared.next()
    }
}

/// Request ids made here: 32 hex digits like nginx's `$request_id`, a random per-process prefix
/// (re-drawn after fork, when the pid changes) and a counter, so ids never repeat across workers.
final class RequestIDs: Sendable {
    static let shared = RequestIDs()

    struct State {
        var pid: Int32 = -1
        var prefix = ""
        var counter: UInt64 = 0
    }
    let state = Mutex(State())

    func next() -> String {
        state.withLock { state in
            let pid = getpid()
            if pid != state.pid {
                state.pid = pid
                var random: UInt64 = 0
                for _ in 0..<8 { random = random << 8 | UInt64(UInt8.random(in: 0...255)) }
                state.prefix = RequestIDs.hex(random)
                state.counter = 0
            }
            state.counter &+= 1
            return state.prefix + RequestIDs.hex(state.counter)
        }
    }

    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
