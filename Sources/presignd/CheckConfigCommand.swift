import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport

/// `presignd check-config`: loads the configuration exactly as `serve` does (the same
/// `PresigndConfig`), prints every variable with its effective value (secrets masked), and exits
/// 78 (EX_CONFIG) naming each variable that is wrong. Nothing is contacted: no database, store
/// or JWKS URL.
enum CheckConfigCommand: Command {
    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        do {
            let config = try PresigndConfig.load(arguments: arguments)
            writeOut(PresigndConfig.render(config.sections))
            writeOut("configuration OK\n")
            return 0
        } catch {
            writeOut(PresigndConfig.render(error.sections))
            for problem in error.errors { writeError(problem) }
            return 78
        }
    }
}
