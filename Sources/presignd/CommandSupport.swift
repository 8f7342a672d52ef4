#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PresigndCrypto
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndPostgres
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// Writes text to a file descriptor with write(2) (Swift 6 forbids touching C's `stdout`).
func writeOut(_ text: String, to fd: Int32 = 1) {
    Syscall.writeAll(fd, Array(text.utf8))
}

/// Whole lines to stdout/stderr, a newline added.
enum Output {
    static func out(_ line: String) { writeOut(line.hasSuffix("\n") ? line : line + "\n") }
    static func err(_ line: String) { writeOut(line.hasSuffix("\n") ? line : line + "\n", to: 2) }
}

/// One subcommand: the arguments after its name and the process environment in, the exit status
/// out (0, 1 failed, 2 usage, 78 configuration).
protocol Command {
    static func run(_ arguments: [String], environment: Environment) -> Int32
}

/// `presignd: error: …` on stderr.
func writeError(_ message: String) { writeOut("presignd: error: " + message + "\n", to: 2) }

/// The whole file, or nil when it cannot be read.
func readWholeFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        if n == 0 { break }
        output.append(contentsOf: chunk[0..<n])
        if output.count > 4 * 1024 * 1024 { return nil }  // credentials and keys are small
    }
    return String(decoding: output, as: UTF8.self)
}

func currentUnixTime() -> UnixSeconds { UnixSeconds(time(nil)) }

/// A usage mistake on the command line (exit status 2).
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Runs a signing command's body and reports what it throws: a usage mistake with `usage`
/// (exit 2), a `SigningError` by its message, anything else by its description (exit 1).
func reportingErrors(usage: String, _ body: () throws -> Int32) -> Int32 {
    do {
        return try body()
    } catch let error as UsageError {
        writeError(error.message)
        writeOut(usage, to: 2)
        return 2
    } catch let error as SigningError {
        writeError(error.message)
        return 1
    } catch {
        writeError("\(error)")
        return 1
    }
}

/// Runs a command that works on the database and reports what it throws: a configuration
/// error (exit 78, naming the variable), a PostgreSQL error by its logged form, an API error by
/// its message (the database unavailable), anything else by its description (exit 1).
func reportingDatabaseErrors(_ body: () throws -> Int32) -> Int32 {
    do {
        return try body()
    } catch let error as ConfigError {
        writeError("\(error)")
        return 78
    } catch let error as PostgresError {
        writeError(error.logged)
        return 1
    } catch let error as any APIErrorConvertible {
        writeError(error.apiError.message)
        return 1
    } catch {
        writeError("\(error)")
        return 1
    }
}

/// `--name value` / `--flag` options after positional arguments, parsed without surprises:
/// unknown options and missing values are errors, repeated options keep every value.
struct CommandOptions {
    var positional: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    init(_ arguments: ArraySlice<String>, valueOptions: Set<String>, flagOptions: Set<String>) throws(UsageError) {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                var name = String(argument.dropFirst(2))
                var inlineValue: String?
                if let equals = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                if flagOptions.contains(name), inlineValue == nil {
                    flags.insert(name)
                } else if valueOptions.contains(name) {
                    if let inlineValue {
                        values[name, default: []].append(inlineValue)
                    } else {
                        index += 1
                        guard index < arguments.endIndex else { throw UsageError("--\(name) needs a value") }
                        values[name, default: []].append(arguments[index])
                    }
                } else {
                    throw UsageError("unknown option --\(name)")
                }
            } else {
                positional.append(argument)
            }
            index += 1
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    func integer(_ name: String) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text) else { throw UsageError("--\(name) must be a whole number, got \"\(text)\"") }
        return number
    }

    /// `--at 20260314T150926Z` (or ISO 8601); otherwise the system clock.
    func time() throws(UsageError) -> UnixSeconds {
        guard let text = value("at") else { return currentUnixTime() }
        guard let date = UTCDateTime.parse(text) else { throw UsageError("--at must look like 20260314T150926Z or 2026-03-14T15:09:26Z") }
        return date.unixSeconds
    }
}
