/// Why the server could not start; the message says what to fix.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}
