internal import CFastCGI
import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

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

    /// The request's params, borrowed from libfcgi's memory until the request is finished.
    var params: EnvironmentParams { EnvironmentParams(entries: request.pointee.envp) }

    /// Up to `count` bytes of the body; fewer only at its end. `count` is the cap plus one when
    /// no length was announced (every GET), so nothing of that size is allocated up front: the
    /// body is read in steps that double while bytes keep coming, and an empty one costs nothing.
    func readBody(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var body: [UInt8] = []
        var step = min(count, 4096)
        while body.count < count {
            let want = min(count - body.count, step)
            let got = withUnsafeTemporaryAllocation(of: CChar.self, capacity: want) { chunk -> Int32 in
                let got = FCGX_GetStr(chunk.baseAddress!, Int32(want), request.pointee.in)
                if got > 0 {
                    UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[..<Int(got)])
                        .withMemoryRebound(to: UInt8.self) { body.append(contentsOf: $0) }
                }
                return got
            }
            if got <= 0 { break }
            step = min(step * 2, 1 << 20)
        }
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

    /// Ends the request and retires its connection without a race (a stopping worker). Closing a
    /// kept-alive connection after END_REQUEST races nginx, which may already be sending the next
    /// request on it, and a POST lost that way is a 502 nginx never retries. So END_REQUEST is
    /// written here, followed in the same write by one more (empty) record: nginx takes a
    /// connection back into its keepalive cache only when END_REQUEST ends what it read
    /// (ngx_http_fastcgi_module.c), so it closes this one itself and sends nothing more on it.
    /// Returns false when the connection broke; it is closed either way.
    @discardableResult
    func finishRetiringConnection() -> Bool {
        let flushed = FCGX_FFlush(request.pointee.out) == 0
        let id = UInt8(truncatingIfNeeded: request.pointee.requestId >> 8)
        let low = UInt8(truncatingIfNeeded: request.pointee.requestId)
        let tail: [UInt8] = [1, 6, id, low, 0, 0, 0, 0]                 // STDOUT: end of stream
            + [1, 3, id, low, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]      // END_REQUEST: complete, status 0
            + [1, 6, id, low, 0, 0, 0, 0]                               // one more record: do not keep
        let written = flushed && Syscall.writeAll(request.pointee.ipcFd, tail)
        // libfcgi must not write its own END_REQUEST: free the request and close (shutdown, then
        // read until nginx closes its end).
        closeConnection()
        return written
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
