import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// The prefork supervisor's decisions, without processes: which worker slots to fork, which
/// workers to stop, when to restart a dead one (with back-off), and how a SIGHUP reload moves to
/// a new generation only once every new worker is ready. `Supervisor` (PresigndFastCGI) feeds it
/// what happened (a fork's pid, a child's exit, a readiness report, a signal, the time) and
/// carries out the actions it returns, in the style of postgres-nio's state machines.
package struct SupervisorState: Sendable {
    package struct Child: Sendable, Equatable {
        package let generation: Int
        package let slot: Int
        package let startedAt: Double
        package var ready = false
    }

    package enum Action: Sendable, Equatable {
        /// Fork a worker for `slot` of `generation`; report `forked` or `forkFailed`.
        case fork(slot: Int, generation: Int)
        /// Ask a worker to drain and exit (SIGTERM).
        case terminate(pid: Int32)
        case log(String)
        /// A dead worker of the serving generation is being replaced (for the restart counter).
        case restartScheduled
        case reloadFinished(completed: Bool)
    }

    package let workers: Int
    package private(set) var generation = 1
    package private(set) var children: [Int32: Child] = [:]
    /// The generation a SIGHUP is starting, and when it began.
    package private(set) var reloading: (generation: Int, since: Double)?
    /// Serving-generation slots waiting to be refilled, and when.
    package private(set) var restartAt: [Int: Double] = [:]
    /// Quick successive deaths per slot, for the back-off.
    var failures: [Int: Int] = [:]

    package static let reloadTimeout = 30.0
    /// A worker that dies younger than this counts as failing at start.
    package static let youngDeath = 5.0
    package static let maximumBackoff = 10.0

    package init(workers: Int) { self.workers = workers }

    /// The first generation's workers.
    package mutating func start() -> [Action] {
        (0..<workers).map { .fork(slot: $0, generation: generation) }
    }

    package mutating func forked(pid: Int32, slot: Int, generation: Int, now: Double) {
        children[pid] = Child(generation: generation, slot: slot, startedAt: now)
    }

    /// fork(2) failed: try that slot again in a second.
    package mutating func forkFailed(slot: Int, generation: Int, now: Double, reason: String) -> [Action] {
        if generation == reloading?.generation {
            return abandonReload("cannot fork a new worker: \(reason)")
        }
        restartAt[slot] = now + 1
        return [.log("cannot fork a worker: \(reason); retrying")]
    }

    package mutating func readyReported(pid: Int32) -> [Action] {
        children[pid]?.ready = true
        guard let reloading else { return [] }
        let fresh = children.values.filter { $0.generation == reloading.generation }
        guard fresh.count == workers, fresh.allSatisfy(\.ready) else { return [] }
        let old = children.filter { $0.value.generation == generation }.map(\.key).sorted()
        generation = reloading.generation
        self.reloading = nil
        restartAt = [:]
        failures = [:]
        return old.map { .terminate(pid: $0) } + [
            .reloadFinished(completed: true),
            .log("reload complete: \(fresh.count) new worker(s) serving; \(old.count) old one(s) draining"),
        ]
    }

    /// A child was reaped; `how` is "exited with status 3" or "was killed by signal 9".
    package mutating func childExited(pid: Int32, how: String, now: Double) -> [Action] {
        guard let child = children.removeValue(forKey: pid) else { return [] }
        if child.generation == generation {
            // A worker that dies young is probably failing at start: back off, up to 10 s.
            let count = now - child.startedAt < SupervisorState.youngDeath ? (failures[child.slot] ?? 0) + 1 : 0
            failures[child.slot] = count
            let delay = count == 0 ? 0 : min(0.1 * Double(1 << min(count - 1, 7)), SupervisorState.maximumBackoff)
            restartAt[child.slot] = now + delay
            return [.restartScheduled, .log("worker \(pid) \(how); restarting it in \(delay) s")]
        }
        if child.generation == reloading?.generation {
            return abandonReload("new worker \(pid) \(how) before it was ready")
        }
        return [.log("old worker \(pid) \(how) after draining")]
    }

    package mutating func hangup(now: Double) -> [Action] {
        guard reloading == nil else { return [.log("SIGHUP: a reload is already in progress")] }
        let next = generation + 1
        reloading = (next, now)
        return [.log("SIGHUP: starting \(workers) new worker(s) with a fresh configuration")]
            + (0..<workers).map { .fork(slot: $0, generation: next) }
    }

    /// Time passed: a reload that took too long is abandoned; due slots are refilled.
    package mutating func tick(now: Double) -> [Action] {
        var actions: [Action] = []
        if let reloading, now - reloading.since > SupervisorState.reloadTimeout {
            actions += abandonReload("new workers were not ready after \(Int(SupervisorState.reloadTimeout)) s")
        }
        for (slot, time) in restartAt.sorted(by: { $0.key < $1.key }) where time <= now {
            restartAt[slot] = nil
            actions.append(.fork(slot: slot, generation: generation))
        }
        return actions
    }

    /// Milliseconds until `tick` has something to do (-1: nothing is waiting).
    package func pollTimeout(now: Double) -> Int32 {
        guard let next = restartAt.values.min() else { return reloading == nil ? -1 : 1000 }
        return Int32(max(0, min(1000, (next - now) * 1000)))
    }

    mutating func abandonReload(_ reason: String) -> [Action] {
        guard let reloading else { return [] }
        let fresh = children.filter { $0.value.generation == reloading.generation }.map(\.key).sorted()
        self.reloading = nil
        return fresh.map { .terminate(pid: $0) } + [
            .reloadFinished(completed: false),
            .log("reload failed (\(reason)); the old workers keep serving"),
        ]
    }

    /// Workers alive, of any generation.
    package var alive: Int { children.count }
}
