internal import CFastCGI
internal import CPosixShims
import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// Plain CGI: one request per process, the head in the environment, the body on stdin, the
/// response on stdout with a `Status:` line. Needs nothing from libfcgi.
enum CGIGateway {
    static func run(limits: GatewayLimits, makeHandler: @Sendable () throws -> RequestHandler) -> Int32 {
        presignd_ignore_signal(SIGPIPE)
        let response: HTTPResponse
        do {
            let handler = try makeHandler()
            response = RequestExchange.respond(params: EnvironmentParams(entries: presignd_environ()), limits: limits, requestIDs: RequestIDs(), readBody: readStdin, handler: handler).response
        } catch {
            ServerLog.event("cannot handle the CGI request: \(error)")
            response = APIError.internalError().response()
        }
        Syscall.writeAll(1, GatewayResponse.serialize(response))
        return 0
    }

    static func readStdin(_ count: Int) -> [UInt8] { Syscall.read(0, count: count) }
}
