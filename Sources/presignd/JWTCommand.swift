#if canImport(Glibc)
import Glibc
#endif
import PresigndCrypto
import PresigndHTTP
import PresigndHTTPClient
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// `presignd jwt verify [--repeat] [--at UNIX]` (hidden, for tests and operators): reads the JWT
/// settings from the environment and a token from stdin, prints `ok <user id> [scopes]` or the
/// RFC 6750 refusal, and exits 1 when refused, 2 on a configuration error. With `--repeat`, one
/// token per line and one answer per line, in one process (so the JWKS cache is exercised).
/// `presignd jwt bench KEYDIR [SECONDS]` measures verifications per second (see bench/jwt.sh).
enum JWTCommand: Command {
    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        switch arguments.first {
        case "verify": return runJWTVerify(Array(arguments.dropFirst()))
        case "bench": return runJWTBench(Array(arguments.dropFirst()))
        default:
            Output.err("usage: presignd jwt verify [--repeat] [--at UNIX] < token | presignd jwt bench KEYDIR [SECONDS]")
            return 2
        }
    }
}

func runJWTVerify(_ options: [String]) -> Int32 {
    var repeating = false
    var fixedNow: UnixSeconds? = nil
    var rest = options[...]
    while let option = rest.popFirst() {
        switch option {
        case "--repeat": repeating = true
        case "--at":
            guard let text = rest.popFirst(), let value = UnixSeconds(text) else { Output.err("--at needs Unix seconds"); return 2 }
            fixedNow = value
        default:
            Output.err("presignd jwt verify: unknown option \(option)")
            return 2
        }
    }
    let config: JWTConfig
    do { config = try JWTConfig.load(Environment(ProcessEnvironment.current(), readFile: { readWholeFile($0) })) } catch {
        Output.err("presignd: \(error)")
        return 2
    }
    let authenticator = config.makeAuthenticator(fetch: jwksFetch(HTTPClient(maxResponseBytes: 512 * 1024)),
                                                 log: { Output.err("presignd: \($0)") })
    func answer(_ token: String) -> Bool {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["Authorization": "Bearer \(token)"])
        do {
            let user = try authenticator.authenticate(request, now: fixedNow ?? currentUnixTime())
            Output.out((["ok", user.id] + user.scopes.sorted()).joined(separator: " "))
            return true
        } catch {
            Output.out("\(error.status) \(error.headers["WWW-Authenticate"] ?? error.message)")
            return false
        }
    }
    if repeating {
        while let line = readLine() {
            let token = String(line.filter { !$0.isWhitespace })
            if !token.isEmpty { _ = answer(token) }
        }
        return 0
    }
    var input = ""
    while let line = readLine() { input += line }
    return answer(String(input.filter { !$0.isWhitespace })) ? 0 : 1
}
