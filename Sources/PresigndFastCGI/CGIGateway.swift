internal import CFastCGI
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
        writeAll(GatewayResponse.serialize(response), to: 1)
        return 0
    }

    static func readStdin(_ count: Int) -> [UInt8] {
        var body = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = body.withUnsafeMutableBytes { read(0, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            filled += got
        }
        body.removeLast(count - filled)
        return body
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
