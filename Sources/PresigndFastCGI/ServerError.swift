import PresigndHTTP
import PresigndSupport

/// Why the server could not start; the message says what to fix.
package struct ServerError: Error, CustomStringConvertible, Sendable {
    package let message: String

    init(_ message: String) { self.message = message }

    package var description: String { message }
}
