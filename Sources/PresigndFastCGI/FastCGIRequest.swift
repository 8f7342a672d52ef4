internal import CFastCGI
import Glibc
import PresigndCore

/// One `FCGX_Request`, owned by one serving thread for its whole life. The thread accepts
/// connections itself and hands each to libfcgi, so libfcgi never blocks in accept() where a
/// stopping worker could not wake it.
final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init() {
        request = .allocate(capacity: 1)
        // listen_sock -1: if libfcgi ever tries to accept by itself (after a broken connection),
        // accept(-1) fails at once and control comes back to the serving loop.
        FCGX_InitRequest(request, -1, 0)
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// The connection libfcgi reads requests from, -1 when there is none.
    var connectionFD: Int32 { request.pointee.ipcFd }

    /// Gives libfcgi a freshly accepted connection.
    func adopt(connection fd: Int32) {
        request.pointee.ipcFd = fd
        // FCGX_Accept_r first "finishes" the previous request and would close the connection
        // unless it is marked as kept.
        request.pointee.keepConnection = 1
    }

    /// Reads the next request's params from the current connection; false when the connection
    /// ended or broke instead (libfcgi has then closed it).
    func readNextRequest() -> Bool {
        FCGX_Accept_r(request) >= 0
    }

    /// The request's params, copied out of libfcgi's memory.
    func params() -> [GatewayParam] {
        var params: [GatewayParam] = []
        params.reserveCapacity(32)
        guard var entry = request.pointee.envp else { return params }
        while let pair = entry.pointee {
            let length = strlen(pair)
            pair.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                let buffer = UnsafeBufferPointer(start: bytes, count: length)
                if let equals = buffer.firstIndex(of: UInt8(ascii: "=")) {
                    let name = String(decoding: buffer[..<equals], as: UTF8.self)
                    params.append(GatewayParam(name, Array(buffer[(equals + 1)...])))
                }
            }
            entry += 1
        }
        return params
    }

    /// Up to `count` bytes of the body; fewer only at its end.
    func readBody(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var body = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let chunk = Int32(min(count - filled, 1 << 20))
            let got = body.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    FCGX_GetStr($0 + filled, chunk, request.pointee.in)
                }
            }
            if got <= 0 { break }
            filled += Int(got)
        }
        body.removeLast(count - filled)
        return body
    }

    /// Reads and drops what is left of the body (a refused upload) so a kept-alive connection
    /// stays in step; past `limit` bytes the connection is closed instead.
    func discardBody(limit: Int) {
        var scratch = [CChar](repeating: 0, count: 16384)
        var discarded = 0
        while discarded <= limit {
            let got = FCGX_GetStr(&scratch, Int32(scratch.count), request.pointee.in)
            if got <= 0 { return }
            discarded += Int(got)
        }
        request.pointee.keepConnection = 0
    }

    /// Sends the response bytes to the web server.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
    }

    /// Flushes the response and ends the request; the connection stays open only if the web
    /// server asked to keep it (`fastcgi_keep_conn on`).
    func finish() {
        FCGX_Finish_r(request)
    }

    /// Closes an idle kept-alive connection (a stopping worker).
    func closeConnection() {
        request.pointee.keepConnection = 0
        FCGX_Free(request, 1)
    }

    /// Must run once per process before any request is read.
    static func initializeLibrary() -> Bool { FCGX_Init() == 0 }

    /// Whether stdin is not a FastCGI listening socket, i.e. we were started as plain CGI.
    static var isCGI: Bool { FCGX_IsCGI() != 0 }
}
