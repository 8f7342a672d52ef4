import Glibc
import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// The socket every worker accepts FastCGI connections from, opened once by the supervisor
/// before it forks so that all workers share one accept queue.
struct ListeningSocket {
    let fd: Int32
    /// The unix socket file this process created and should remove when it stops.
    let ownedPath: String?

    static func open(_ address: ListenAddress, socketMode: Int) throws(ServerError) -> ListeningSocket {
        switch address {
        case .unixSocket(let path): return try openUnix(path: path, mode: socketMode)
        case .tcp(let host, let port): return try openTCP(host: host, port: port)
        case .inherited: return try InheritedSocket.find()
        }
    }

    /// Removes the socket file if this process created it.
    func removeFile() {
        if let ownedPath { unlink(ownedPath) }
    }

    static func openUnix(path: String, mode: Int) throws(ServerError) -> ListeningSocket {
        try removeStaleSocket(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("cannot create a unix socket: \(ServerLog.lastError)") }
        var address = try unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let reason = ServerLog.lastError
            close(fd)
            throw ServerError("cannot bind \(path): \(reason); check that its directory exists and is writable")
        }
        // The socket is created with the umask (often 0755): set the mode nginx's user needs.
        guard chmod(path, mode_t(mode)) == 0 else {
            let reason = ServerLog.lastError
            close(fd); unlink(path)
            throw ServerError("cannot set mode \(String(mode, radix: 8)) on \(path): \(reason)")
        }
        guard listen(fd, SOMAXCONN) == 0 else {
            let reason = ServerLog.lastError
            close(fd); unlink(path)
            throw ServerError("cannot listen on \(path): \(reason)")
        }
        return ListeningSocket(fd: fd, ownedPath: path)
    }

    /// A socket file left by a server that died is removed; one a live server answers on is not.
    static func removeStaleSocket(_ path: String) throws(ServerError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw ServerError("\(path) exists and is not a socket; remove it or choose another --listen path")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { throw ServerError("cannot create a unix socket: \(ServerLog.lastError)") }
        defer { close(probe) }
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 { throw ServerError("\(path) is in use by a running server; stop it first") }
        ServerLog.event("removing stale socket \(path)")
        unlink(path)
    }

    static func unixAddress(_ path: String) throws(ServerError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw ServerError("the socket path \(path) is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    static func openTCP(host: String, port: Int) throws(ServerError) -> ListeningSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("cannot create a TCP socket: \(ServerLog.lastError)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw ServerError("\(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            let reason = ServerLog.lastError
            close(fd)
            throw ServerError("cannot listen on \(host):\(port): \(reason)")
        }
        return ListeningSocket(fd: fd, ownedPath: nil)
    }

    /// Whether `fd` is a socket in the listening state.
    static func isListening(_ fd: Int32) -> Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }
}
