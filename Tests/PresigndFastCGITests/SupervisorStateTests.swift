@testable import PresigndFastCGI
import XCTest

/// The supervisor's decisions without processes: start, restarts with back-off, reloads that
/// complete, fail or time out, and forks that fail.
final class SupervisorStateTests: XCTestCase {
    /// A state with `workers` forked (pids 100, 101, …) at time 0.
    func started(_ workers: Int = 2) -> SupervisorState {
        var state = SupervisorState(workers: workers)
        XCTAssertEqual(state.start(), (0..<workers).map { .fork(slot: $0, generation: 1) })
        for slot in 0..<workers { state.forked(pid: Int32(100 + slot), slot: slot, generation: 1, now: 0) }
        for slot in 0..<workers { XCTAssertEqual(state.readyReported(pid: Int32(100 + slot)), []) }
        return state
    }

    func testAWorkerThatDiesOldIsRestartedAtOnce() {
        var state = started()
        XCTAssertEqual(state.childExited(pid: 100, how: "was killed by signal 9", now: 60),
                       [.restartScheduled, .log("worker 100 was killed by signal 9; restarting it in 0.0 s")])
        XCTAssertEqual(state.pollTimeout(now: 60), 0)
        XCTAssertEqual(state.tick(now: 60), [.fork(slot: 0, generation: 1)])
        XCTAssertEqual(state.tick(now: 61), [])
        XCTAssertEqual(state.pollTimeout(now: 61), -1)
    }

    func testAWorkerFailingAtStartBacksOffUpToTenSeconds() {
        var state = started(1)
        var now = 100.0
        var delays: [Double] = []
        var pid: Int32 = 100
        for _ in 0..<10 {
            _ = state.childExited(pid: pid, how: "exited with status 78", now: now)
            let due = state.restartAt[0]!
            delays.append(((due - now) * 1000).rounded() / 1000)
            XCTAssertEqual(state.tick(now: due - 0.001), [])
            XCTAssertEqual(state.tick(now: due), [.fork(slot: 0, generation: 1)])
            pid += 1
            state.forked(pid: pid, slot: 0, generation: 1, now: due)
            now = due + 1  // dies young again
        }
        // The first death after a long life restarts at once; young deaths double the wait.
        XCTAssertEqual(delays, [0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10, 10])
    }

    func testAReloadRetiresTheOldGenerationOnlyWhenAllNewWorkersAreReady() {
        var state = started()
        let actions = state.hangup(now: 10)
        XCTAssertEqual(actions, [.log("SIGHUP: starting 2 new worker(s) with a fresh configuration"),
                                 .fork(slot: 0, generation: 2), .fork(slot: 1, generation: 2)])
        XCTAssertEqual(state.hangup(now: 11), [.log("SIGHUP: a reload is already in progress")])
        state.forked(pid: 200, slot: 0, generation: 2, now: 10)
        state.forked(pid: 201, slot: 1, generation: 2, now: 10)
        XCTAssertEqual(state.readyReported(pid: 200), [])
        XCTAssertEqual(state.readyReported(pid: 201), [
            .terminate(pid: 100), .terminate(pid: 101), .reloadFinished(completed: true),
            .log("reload complete: 2 new worker(s) serving; 2 old one(s) draining")])
        XCTAssertEqual(state.generation, 2)
        // The old workers' exits are not restarts.
        XCTAssertEqual(state.childExited(pid: 100, how: "exited with status 0", now: 12),
                       [.log("old worker 100 exited with status 0 after draining")])
        XCTAssertEqual(state.tick(now: 12), [])
    }

    func testANewWorkerThatDiesBeforeReadyAbandonsTheReload() {
        var state = started()
        _ = state.hangup(now: 10)
        state.forked(pid: 200, slot: 0, generation: 2, now: 10)
        state.forked(pid: 201, slot: 1, generation: 2, now: 10)
        _ = state.readyReported(pid: 200)
        XCTAssertEqual(state.childExited(pid: 201, how: "exited with status 78", now: 11), [
            .terminate(pid: 200), .reloadFinished(completed: false),
            .log("reload failed (new worker 201 exited with status 78 before it was ready); the old workers keep serving")])
        XCTAssertEqual(state.generation, 1)
        XCTAssertNil(state.reloading)
        // The one it stopped is not replaced, and a new SIGHUP may try again.
        XCTAssertEqual(state.childExited(pid: 200, how: "exited with status 0", now: 11),
                       [.log("old worker 200 exited with status 0 after draining")])
        XCTAssertEqual(state.hangup(now: 12).count, 3)
    }

    func testAReloadThatTakesTooLongIsAbandoned() {
        var state = started()
        _ = state.hangup(now: 10)
        state.forked(pid: 200, slot: 0, generation: 2, now: 10)
        XCTAssertEqual(state.pollTimeout(now: 10), 1000)
        XCTAssertEqual(state.tick(now: 39), [])
        XCTAssertEqual(state.tick(now: 40.5), [
            .terminate(pid: 200), .reloadFinished(completed: false),
            .log("reload failed (new workers were not ready after 30 s); the old workers keep serving")])
    }

    func testAFailedForkRetriesItsSlotButAbandonsAReload() {
        var state = started()
        _ = state.childExited(pid: 101, how: "was killed by signal 9", now: 50)
        XCTAssertEqual(state.tick(now: 50), [.fork(slot: 1, generation: 1)])
        XCTAssertEqual(state.forkFailed(slot: 1, generation: 1, now: 50, reason: "Resource temporarily unavailable"),
                       [.log("cannot fork a worker: Resource temporarily unavailable; retrying")])
        XCTAssertEqual(state.tick(now: 51), [.fork(slot: 1, generation: 1)])

        _ = state.hangup(now: 60)
        XCTAssertEqual(state.forkFailed(slot: 0, generation: 2, now: 60, reason: "Cannot allocate memory"), [
            .reloadFinished(completed: false),
            .log("reload failed (cannot fork a new worker: Cannot allocate memory); the old workers keep serving")])
        XCTAssertEqual(state.generation, 1)
    }

    func testAnUnknownPidChangesNothing() {
        var state = started()
        XCTAssertEqual(state.childExited(pid: 999, how: "exited with status 0", now: 5), [])
        XCTAssertEqual(state.readyReported(pid: 999), [])
        XCTAssertEqual(state.alive, 2)
    }
}
