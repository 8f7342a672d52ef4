import Glibc
import PresigndHTTP
import PresigndMetrics

/// A listening socket left open by whoever started us: systemd socket activation passes it as
/// fd 3 with `LISTEN_PID`/`LISTEN_FDS` (which libfcgi ignores); spawn-fcgi passes it as fd 0.
enum InheritedSocket {
    static let systemdFirstFD: Int32 = 3

    static func find() throws(ServerError) -> ListeningSocket {
        if let fd = try systemdSocket() { return ListeningSocket(fd: fd, ownedPath: nil) }
        if ListeningSocket.isListening(0) { return ListeningSocket(fd: 0, ownedPath: nil) }
        throw ServerError(
            "no listening socket was inherited: pass --listen /run/presignd.sock or 127.0.0.1:PORT, "
                + "or start presignd from spawn-fcgi or a systemd .socket unit")
    }

    /// Whether systemd passed sockets meant for this process (LISTEN_PID is our pid).
    static var isSystemdActivated: Bool {
        guard let pid = getenv("LISTEN_PID").flatMap({ Int32(String(cString: $0)) }) else { return false }
        return pid == getpid() && getenv("LISTEN_FDS") != nil
    }

    /// fd 3 when the variables are meant for this process.
    static func systemdSocket() throws(ServerError) -> Int32? {
        guard isSystemdActivated else { return nil }
        let countText = String(cString: getenv("LISTEN_FDS"))
        // Not inherited by anything we start later.
        unsetenv("LISTEN_PID"); unsetenv("LISTEN_FDS"); unsetenv("LISTEN_FDNAMES")
        guard let count = Int(countText), count >= 1 else {
            throw ServerError("LISTEN_FDS is \"\(countText)\"; systemd socket activation must pass one socket")
        }
        if count > 1 { ServerLog.event("LISTEN_FDS=\(count): serving only the first socket (fd 3)") }
        guard ListeningSocket.isListening(systemdFirstFD) else {
            throw ServerError("LISTEN_FDS is set but fd 3 is not a listening socket; check the .socket unit (ListenStream=)")
        }
        return systemdFirstFD
    }
}
