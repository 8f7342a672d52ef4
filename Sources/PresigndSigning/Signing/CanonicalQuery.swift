import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// SigV4's canonical query string: each name and value percent-encoded (only `A-Za-z0-9-_.~`
/// kept), pairs sorted by encoded name then encoded value, joined with `&`.
enum CanonicalQuery {
    typealias Pair = (name: String, value: String)

    static func encodedPairs(_ parameters: [Pair]) -> [Pair] {
        parameters.map { (name: PercentEncoding.encode($0.name), value: PercentEncoding.encode($0.value)) }
    }

    /// Sorted and joined, from already encoded pairs.
    static func string(encoded pairs: [Pair]) -> String {
        var output: [UInt8] = []
        write(encoded: pairs, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    static func write(encoded pairs: [Pair], to output: inout [UInt8]) {
        writeSorted(pairs.sorted { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
        }, to: &output)
    }

    /// Joins pairs that are already in canonical order.
    static func writeSorted(_ sorted: [Pair], to output: inout [UInt8]) {
        for (index, pair) in sorted.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: pair.name.utf8)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: pair.value.utf8)
        }
    }

    /// `a=1&b=2` in the given order, for the URL itself.
    static func urlString(encoded pairs: [Pair]) -> String {
        pairs.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// Splits a URL's query into decoded pairs; `uploads` (no `=`) is a name with an empty value.
    static func parse(_ query: Substring) throws(SigningError) -> [Pair] {
        guard !query.isEmpty else { return [] }
        var pairs: [Pair] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(String(pieces[0])),
                  let value = PercentEncoding.decode(pieces.count > 1 ? String(pieces[1]) : "") else {
                throw .invalidQuery("the query string has a malformed percent-escape")
            }
            pairs.append((name: name, value: value))
        }
        return pairs
    }
}
