import PresigndPostgres
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// `presignd events list [--state pending|delivered|dead] [--endpoint NAME] [--limit N]` prints
/// the newest deliveries, one line each; `presignd events replay EVENT_ID | --dead [--endpoint NAME]`
/// makes dead-lettered deliveries due again with fresh attempts.
enum EventsCommand: Command {
    static let usage = """
        usage: presignd events list [--state pending|delivered|dead] [--endpoint NAME] [--limit N]
               presignd events replay EVENT_ID|--dead [--endpoint NAME]
        """

    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        var rest = arguments[...]
        guard let verb = rest.popFirst(), verb == "list" || verb == "replay" else {
            writeError("events takes list or replay\n\(usage)")
            return 2
        }
        var state: String? = nil, endpoint: String? = nil, limit = 50, id: String? = nil, allDead = false
        while let argument = rest.popFirst() {
            switch argument {
            case "--state" where verb == "list":
                guard let value = rest.popFirst(), ["pending", "delivered", "dead"].contains(value) else {
                    writeError("--state takes pending, delivered or dead\n\(usage)")
                    return 2
                }
                state = value
            case "--endpoint":
                guard let value = rest.popFirst() else { writeError("--endpoint takes an endpoint's name\n\(usage)"); return 2 }
                endpoint = value
            case "--limit" where verb == "list":
                guard let text = rest.popFirst(), let value = Int(text), (1...10_000).contains(value) else {
                    writeError("--limit takes a number from 1 to 10000\n\(usage)")
                    return 2
                }
                limit = value
            case "--dead" where verb == "replay":
                allDead = true
            case let value where verb == "replay" && id == nil && !value.hasPrefix("-"):
                guard DocumentID.isValid(value) else { writeError("\(value.prefix(60)) is not an event id (a UUID)\n\(usage)"); return 2 }
                id = value.lowercased()
            default:
                writeError("unknown option \(argument.prefix(60))\n\(usage)")
                return 2
            }
        }
        if verb == "replay" && (id == nil) == !allDead {
            writeError("replay takes one event id or --dead\n\(usage)")
            return 2
        }
        return reportingDatabaseErrors {
            let log = EventLog(pool: PostgresPool(settings: try PostgresSettings.from(environment)))
            if verb == "list" {
                let entries = try log.list(state: state, endpoint: endpoint, limit: limit)
                for entry in entries {
                    let error = entry.lastError.map { " (\($0))" } ?? ""
                    writeOut("\(entry.at) \(entry.id) \(entry.type) document \(entry.documentID) \(entry.endpoint ?? "-") \(entry.state) attempts \(entry.attempts)\(error)\n")
                }
                writeOut("presignd events: \(entries.count) shown\n")
            } else {
                let count = try log.replay(id: id, endpoint: endpoint)
                writeOut("presignd events: \(count) dead deliver\(count == 1 ? "y" : "ies") due again\n")
                if count == 0 && id != nil { return 1 }
            }
            return 0
        }
    }
}
