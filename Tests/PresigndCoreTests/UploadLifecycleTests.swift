import XCTest
import PresigndSupport
import PresigndUploads

/// Every transition of the upload lifecycle, and every event each state refuses, without a database.
final class UploadLifecycleTests: XCTestCase {
    func machine(_ status: UploadStatus, multipart: Bool = false, createdAt: UnixSeconds = 1_000) -> UploadLifecycle {
        UploadLifecycle(status: status, multipart: multipart, createdAt: createdAt, actualSize: 7, actualType: "image/png",
                        rejection: "too big")
    }

    func change(_ to: UploadStatus, _ audit: AuditAction?) -> UploadAction { .transition(UploadChange(to: to, audit: audit)) }

    static let ready = ConfirmDecision.ready(size: 7, contentType: "image/png")
    static let broken = ConfirmDecision.rejected(reason: "the uploaded object is empty")

    func testInitialStates() {
        XCTAssertEqual(UploadLifecycle.initialStatus(multipart: false), .pending)
        XCTAssertEqual(UploadLifecycle.initialStatus(multipart: true), .uploading)
    }

    /// HeadObject's answer decides: a good object becomes ready (audited as `readyAudit`), an empty
    /// one is deleted and rejected.
    func assertJudgesTheObject(_ machine: UploadLifecycle, readyAudit: AuditAction, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(machine.on(.headObserved(Self.ready)),
                       .perform([.transition(UploadChange(to: .ready, audit: readyAudit, actualSize: 7, actualType: "image/png"))],
                                then: .ready(size: 7, contentType: "image/png")), file: file, line: line)
        XCTAssertEqual(machine.on(.headObserved(Self.broken)),
                       .perform([.deleteObject, .transition(UploadChange(to: .rejected, audit: "upload.reject", rejection: "the uploaded object is empty"))],
                                then: .rejected(reason: "the uploaded object is empty")), file: file, line: line)
    }

    func testSingleRequestUploadConfirmation() {
        let pending = machine(.pending)
        XCTAssertEqual(pending.on(.confirmRequested), .perform([.headObject], then: nil))
        assertJudgesTheObject(pending, readyAudit: "upload.confirm")
        XCTAssertEqual(pending.on(.headObserved(.notUploaded)), .refused(.notUploaded))
        XCTAssertEqual(pending.on(.completeRequested), .refused(.notMultipart))
    }

    /// The store lost a multipart upload (its lifecycle rule, another client): an upload under
    /// way ends as aborted with its audit row; any other state keeps its own answer.
    func testAnUploadTheStoreLostEndsAsAborted() {
        XCTAssertEqual(machine(.uploading, multipart: true).on(.storeLostUpload),
                       .perform([.transition(UploadChange(to: .aborted, audit: "upload.abort"))], then: .aborted))
        XCTAssertEqual(machine(.aborted, multipart: true).on(.storeLostUpload), .refused(.aborted))
        XCTAssertEqual(machine(.expired, multipart: true).on(.storeLostUpload), .refused(.expired))
        XCTAssertEqual(machine(.ready, multipart: true).on(.storeLostUpload), .refused(.alreadyCompleted))
        // A completion cut short whose upload the store then lost (and made no object of).
        XCTAssertEqual(machine(.completing, multipart: true).on(.storeLostUpload),
                       .perform([.transition(UploadChange(to: .aborted, audit: .uploadAbort))], then: .aborted))
        XCTAssertEqual(machine(.pending).on(.storeLostUpload), .refused(.notMultipart))
    }

    func testMultipartCompletion() {
        let uploading = machine(.uploading, multipart: true)
        XCTAssertEqual(uploading.on(.completeRequested),
                       .perform([change(.completing, nil), .completeMultipart, .headObject], then: nil))
        XCTAssertEqual(uploading.on(.confirmRequested), .refused(.multipart))
        XCTAssertEqual(uploading.on(.headObserved(Self.ready)), .refused(.notUploaded))

        let completing = machine(.completing, multipart: true)
        XCTAssertEqual(completing.on(.completeRequested), .perform([.completeMultipart, .headObject], then: nil),
                       "a completion that failed half-way is finished by the next request")
        assertJudgesTheObject(completing, readyAudit: "upload.complete")
        XCTAssertEqual(completing.on(.abortRequested), .refused(.alreadyCompleted))
        XCTAssertEqual(completing.on(.confirmRequested), .refused(.multipart))
    }

    func testAbort() {
        XCTAssertEqual(machine(.uploading, multipart: true).on(.abortRequested),
                       .perform([change(.aborted, "upload.abort"), .abortMultipart], then: .aborted))
        XCTAssertEqual(machine(.pending).on(.abortRequested),
                       .perform([change(.aborted, "upload.abort"), .deleteObject], then: .aborted))
        XCTAssertEqual(machine(.aborted, multipart: true).on(.abortRequested), .perform([.abortMultipart, .deleteObject], then: .aborted),
                       "aborting again repeats the cleanup, never the audit row")
        XCTAssertEqual(machine(.ready).on(.abortRequested), .refused(.alreadyCompleted))
        XCTAssertEqual(machine(.rejected).on(.abortRequested), .refused(.rejected(reason: "too big")))
        XCTAssertEqual(machine(.expired).on(.abortRequested), .refused(.expired))
        XCTAssertEqual(machine(.aborted).on(.confirmRequested), .refused(.aborted))
        XCTAssertEqual(machine(.aborted).on(.completeRequested), .refused(.aborted))
        XCTAssertEqual(machine(.aborted).on(.headObserved(Self.ready)), .refused(.aborted))
    }

    func testFinishedUploadsAnswerAgainWithoutWork() {
        XCTAssertEqual(machine(.ready).on(.confirmRequested), .finished(.ready(size: 7, contentType: "image/png")))
        XCTAssertEqual(machine(.ready, multipart: true).on(.completeRequested), .finished(.ready(size: 7, contentType: "image/png")))
        XCTAssertEqual(machine(.rejected).on(.confirmRequested), .refused(.rejected(reason: "too big")))
        XCTAssertEqual(machine(.rejected).on(.completeRequested), .refused(.rejected(reason: "too big")))
        XCTAssertEqual(machine(.ready).on(.headObserved(Self.ready)), .refused(.alreadyCompleted))
        XCTAssertEqual(machine(.expired).on(.confirmRequested), .refused(.expired))
        XCTAssertEqual(machine(.expired).on(.headObserved(Self.ready)), .refused(.expired))
    }

    func testDeleteClaimsTheRowThenCleansUpThenRemovesIt() {
        let delete = change(.deleting, "document.delete")
        XCTAssertEqual(machine(.ready).on(.deleteRequested), .perform([delete, .deleteObject, .removeRow], then: .deleted))
        XCTAssertEqual(machine(.ready, multipart: true).on(.deleteRequested), .perform([delete, .deleteObject, .removeRow], then: .deleted))
        XCTAssertEqual(machine(.pending).on(.deleteRequested), .perform([delete, .deleteObject, .removeRow], then: .deleted))
        XCTAssertEqual(machine(.uploading, multipart: true).on(.deleteRequested), .perform([delete, .abortMultipart, .removeRow], then: .deleted))
        XCTAssertEqual(machine(.completing, multipart: true).on(.deleteRequested),
                       .perform([delete, .abortMultipart, .deleteObject, .removeRow], then: .deleted))
        for status in [UploadStatus.rejected, .aborted, .expired] {
            XCTAssertEqual(machine(status).on(.deleteRequested), .perform([delete, .deleteObject, .removeRow], then: .deleted), "\(status)")
        }
        for event in [UploadEvent.deleteRequested, .confirmRequested, .completeRequested, .abortRequested, .headObserved(Self.ready),
                      .expiryChecked(now: 1_000_000, maxAge: 1)] {
            XCTAssertEqual(machine(.deleting).on(event), .refused(.notFound), "a second delete is a 404: \(event)")
        }
        XCTAssertEqual(machine(.deleting, multipart: true).on(.cleanupRetried), .perform([.abortMultipart, .deleteObject, .removeRow], then: .deleted))
        XCTAssertEqual(machine(.ready).on(.cleanupRetried), .refused(.notStale))
    }

    func testExpiry() {
        let young = UploadEvent.expiryChecked(now: 1_000 + 86_399, maxAge: 86_400)
        let old = UploadEvent.expiryChecked(now: 1_000 + 86_400, maxAge: 86_400)
        XCTAssertEqual(machine(.pending).on(young), .refused(.notStale))
        XCTAssertEqual(machine(.pending).on(old), .perform([change(.expired, "upload.expire"), .deleteObject], then: .expired))
        XCTAssertEqual(machine(.uploading, multipart: true).on(old), .perform([change(.expired, "upload.expire"), .abortMultipart], then: .expired))
        XCTAssertEqual(machine(.completing, multipart: true).on(old),
                       .perform([change(.expired, "upload.expire"), .abortMultipart, .deleteObject], then: .expired))
        for status in [UploadStatus.ready, .rejected, .aborted, .expired] {
            XCTAssertEqual(machine(status).on(old), .refused(.notStale), "finished uploads never expire: \(status)")
        }
    }

    /// Every (state, event) pair has an answer, `.headObject` only ever ends a step, and a
    /// step without it names its outcome: the runner relies on both.
    func testEveryPairIsDecidedAndStepsAreWellFormed() {
        let events: [UploadEvent] = [.confirmRequested, .completeRequested, .headObserved(Self.ready), .headObserved(Self.broken),
                                     .headObserved(.notUploaded), .abortRequested, .deleteRequested,
                                     .expiryChecked(now: 1_000_000, maxAge: 1), .cleanupRetried]
        for status in UploadStatus.allCases {
            for multipart in [false, true] {
                for event in events {
                    guard case .perform(let actions, let outcome) = machine(status, multipart: multipart).on(event) else { continue }
                    XCTAssertFalse(actions.isEmpty, "\(status) \(event)")
                    if let head = actions.firstIndex(of: .headObject) {
                        XCTAssertEqual(head, actions.count - 1, "\(status) \(event): .headObject must be last")
                        XCTAssertNil(outcome, "\(status) \(event)")
                    } else {
                        XCTAssertNotNil(outcome, "\(status) \(event): a step without .headObject names its outcome")
                    }
                    let transitions = actions.filter { if case .transition = $0 { return true } else { return false } }
                    XCTAssertLessThanOrEqual(transitions.count, 1, "\(status) \(event): one transition per step")
                }
            }
        }
    }
}
