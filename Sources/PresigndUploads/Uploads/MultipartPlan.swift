package import PresigndHTTP
package import PresigndSigning
import PresigndSupport

/// S3's multipart limits, and how presignd cuts a file into parts: every part the same size
/// except the last, so each part URL can sign its exact `Content-Length`.
package struct MultipartPlan: Sendable, Equatable {
    /// Every part but the last must be at least 5 MiB (S3 refuses the completion otherwise).
    package static let minimumPartSize: Int64 = 5 << 20
    /// A part may be at most 5 GiB.
    package static let maximumPartSize: Int64 = 5 << 30
    package static let maximumParts = 10_000
    /// The largest object S3 stores: 5 TiB.
    package static let maximumObjectSize: Int64 = 5 << 40
    /// Part URLs signed per request, at most.
    package static let maximumBatch = 100

    package let fileSize: Int64
    package let partSize: Int64

    /// The smallest part size that is at least `preferred` (and 5 MiB), fits the file in 10,000
    /// parts, and is a whole number of MiB.
    package init(fileSize: Int64, preferredPartSize: Int64) throws(APIError) {
        guard fileSize >= 1 else {
            throw APIError.badRequest(.invalidField, "the field \"fileSize\" must be at least 1 byte")
        }
        guard fileSize <= MultipartPlan.maximumObjectSize else {
            throw APIError.badRequest(.fileTooLarge,
                                      "the field \"fileSize\" is \(fileSize) bytes; an object may be at most \(MultipartPlan.maximumObjectSize) bytes (5 TiB)")
        }
        let needed = (fileSize + Int64(MultipartPlan.maximumParts) - 1) / Int64(MultipartPlan.maximumParts)
        let mebibyte: Int64 = 1 << 20
        let size = max(max(preferredPartSize, MultipartPlan.minimumPartSize), needed)
        self.fileSize = fileSize
        self.partSize = min((size + mebibyte - 1) / mebibyte * mebibyte, MultipartPlan.maximumPartSize)
    }

    package var partCount: Int { Int((fileSize + partSize - 1) / partSize) }

    /// The exact size of part `number` (1-based), nil outside 1…partCount.
    package func size(ofPart number: Int) -> Int64? {
        guard number >= 1, number <= partCount else { return nil }
        return number == partCount ? fileSize - Int64(number - 1) * partSize : partSize
    }

    /// Part numbers from a client, checked: 1…partCount, no repeats, at most `maximumBatch`.
    package func checkPartNumbers(_ numbers: [Int]) throws(APIError) {
        try MultipartPlan.checkPartNumbers(numbers, upTo: partCount,
                                           describing: "this upload has \(partCount) parts of \(partSize) bytes")
    }

    /// Part numbers for an upload whose client chose the part size: 1…10000, no repeats.
    package static func checkFreePartNumbers(_ numbers: [Int]) throws(APIError) {
        try checkPartNumbers(numbers, upTo: maximumParts, describing: nil)
    }

    /// 1 to `maximumBatch` numbers, each in 1…`limit`, none twice.
    static func checkPartNumbers(_ numbers: [Int], upTo limit: Int, describing: String?) throws(APIError) {
        guard !numbers.isEmpty, numbers.count <= maximumBatch else {
            throw APIError.badRequest(.invalidField, "ask for 1 to \(maximumBatch) part numbers at a time")
        }
        var seen = Set<Int>()
        for number in numbers {
            guard (1...limit).contains(number) else {
                throw APIError.badRequest(.invalidPartNumber,
                                          "part number \(number) is outside 1…\(limit)" + (describing.map { " (\($0))" } ?? ""))
            }
            guard seen.insert(number).inserted else {
                throw APIError.badRequest(.invalidPartNumber, "part number \(number) is listed twice")
            }
        }
    }

    /// The client's completion list against what the store holds (ListParts): parts listed in
    /// ascending order from 1, each uploaded, with the ETag the store reports; every part but
    /// the last at least 5 MiB; with a plan, every part 1…partCount at its planned size;
    /// without one (the client chose the sizes), at most `maxSize` bytes in all. S3 checks
    /// part sizes only at completion and some stores never do, so presignd checks first.
    package static func checkCompletion(_ parts: [(number: Int, etag: String)], stored: [UploadedPartInfo],
                                       plan: MultipartPlan?, maxSize: Int64) throws(APIError) {
        guard !parts.isEmpty, parts.count <= maximumParts else {
            throw APIError.badRequest(.invalidParts, "list 1 to \(maximumParts) parts to complete the upload")
        }
        if let plan, parts.count != plan.partCount {
            throw APIError.badRequest(.invalidParts,
                                      "the upload has \(plan.partCount) parts; list every one of them (\(parts.count) given)")
        }
        var byNumber: [Int: UploadedPartInfo] = [:]
        for part in stored { byNumber[part.number] = part }
        var total: Int64 = 0
        for (index, part) in parts.enumerated() {
            guard part.number == index + 1 else {
                throw APIError.badRequest(.invalidParts,
                                          "list the parts in ascending order from 1 with no gaps (found \(part.number) at position \(index + 1))")
            }
            guard let held = byNumber[part.number] else {
                throw APIError.badRequest(.missingPart, "part \(part.number) has not been uploaded; upload it, then complete again")
            }
            guard sameETag(held.etag, part.etag) else {
                throw APIError.badRequest(.invalidParts,
                                          "part \(part.number)'s ETag is not the one the store holds; send the ETag its upload answered")
            }
            if let plan, let expected = plan.size(ofPart: part.number), held.size != expected {
                throw APIError.badRequest(.invalidPartSize,
                                          "part \(part.number) is \(held.size) bytes; it must be \(expected) bytes (parts are \(plan.partSize) bytes, the last one smaller); upload it again")
            }
            if index < parts.count - 1 && held.size < minimumPartSize {
                throw APIError.badRequest(.partTooSmall,
                                          "part \(part.number) is \(held.size) bytes; every part but the last must be at least \(minimumPartSize) bytes (5 MiB)")
            }
            total += held.size
        }
        guard total <= maxSize else {
            throw APIError(status: 422, code: .fileTooLarge,
                           message: "the parts add up to \(total) bytes; files of this purpose may be at most \(maxSize) bytes")
        }
    }

    /// Where a multipart upload stands when its client comes back (after a reload, a crash, a
    /// restart), with presignd's plan as the truth, not the store's list: a stored part counts as
    /// done only when its number is in the plan, its size is the planned one, and (when the
    /// client says what each part's SHA-256 is, and the store kept one) its digest is the
    /// client's; every other part is still to send (a part of the wrong size or content is sent
    /// again, which replaces it).
    package func resume(stored: [UploadedPartInfo], checksums: [Int: String] = [:]) -> (done: [UploadedPartInfo], missing: [Int]) {
        var done: [UploadedPartInfo] = []
        for part in stored.sorted(by: { $0.number < $1.number }) {
            guard let expected = size(ofPart: part.number), part.size == expected else { continue }
            if let declared = checksums[part.number], let held = part.checksumSHA256, declared != held { continue }
            done.append(part)
        }
        let held = Set(done.map(\.number))
        return (done, (1...partCount).filter { !held.contains($0) })
    }

    /// ETags compare without their quotes (browsers and SDKs hand them out either way).
    static func sameETag(_ a: String, _ b: String) -> Bool {
        func bare(_ s: String) -> Substring {
            var t = Substring(s)
            if t.hasPrefix("W/") { t = t.dropFirst(2) }
            if t.hasPrefix("\"") && t.hasSuffix("\"") && t.count >= 2 { t = t.dropFirst().dropLast() }
            return t
        }
        return !b.isEmpty && bare(a) == bare(b)
    }
}
