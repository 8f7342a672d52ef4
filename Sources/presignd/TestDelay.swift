#if canImport(Glibc)
import Glibc
#endif
import PresigndFastCGI
import PresigndHTTP
import PresigndJWT
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// `GET /healthz?delay_ms=N` sleeps N ms before answering, so the integration tests can have a
/// request in flight while they SIGTERM or SIGHUP the server. Off unless
/// `PRESIGND_TEST_DELAY=1`; never enable it in production (it lets anyone hold a thread).
enum TestDelay {
    static let maximumMilliseconds = 60_000

    static func enabled(in environment: Environment) throws -> Bool {
        try environment.boolean("PRESIGND_TEST_DELAY", default: false)
    }

    static func wrap(_ handler: @escaping RequestHandler) -> RequestHandler {
        { request in
            if request.method == "GET", request.path == "/healthz",
               let text = request.queryValue("delay_ms"), let milliseconds = Int(text),
               (0...maximumMilliseconds).contains(milliseconds) {
                usleep(useconds_t(milliseconds) * 1000)
            }
            return handler(request)
        }
    }
}
