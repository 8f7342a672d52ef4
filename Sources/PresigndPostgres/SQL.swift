import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A statement and its parameters. Interpolated values become `$1, $2 …` binds, never SQL
/// text; SQL built at run time must be spelled `unsafeSQL:` so it stands out in review.
package struct SQL: Sendable, ExpressibleByStringInterpolation {
    package private(set) var text: String
    /// Parameter values in text format; nil is SQL NULL.
    package private(set) var binds: [String?]
    /// Set when this is a `SQL.Statement` with its binds: a connection finds the statement it
    /// prepared by this number instead of hashing the text.
    let statementID: Int?

    /// A literal without interpolations is fixed at compile time, so it is safe as it is.
    package init(stringLiteral value: StaticString) {
        text = value.description
        binds = []
        statementID = nil
    }

    package init(stringInterpolation: Interpolation) {
        text = stringInterpolation.text
        binds = stringInterpolation.binds
        statementID = nil
    }

    /// SQL text taken as it is: only for text the program itself wrote (migrations).
    package init(unsafeSQL text: String) {
        self.text = text
        binds = []
        statementID = nil
    }

    init(statement: Statement, binds: [String?]) {
        text = statement.text
        self.binds = binds
        statementID = statement.id
    }

    /// libpq takes parameters as C strings, so a NUL would silently cut a value short
    /// (`bob\u{0}x` bound as `bob`); such a statement is refused instead (SQLSTATE 22021).
    func checkBinds() throws(PostgresError) {
        for (index, value) in binds.enumerated() where value.map(SQL.containsNUL) == true {
            throw PostgresError(.server(sqlState: "22021"), detail: "parameter $\(index + 1) contains a NUL byte")
        }
    }

    static func containsNUL(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { $0.count > 0 && memchr($0.baseAddress!, 0, $0.count) != nil }
    }

    /// A statement whose text is built once, from SQL made by interpolation (so it is the same
    /// text, `$n` for every value), and then run with new binds only: a hot statement's text is
    /// not rebuilt per call, nor hashed to find its prepared name.
    package struct Statement: Sendable {
        package let text: String
        package let parameterCount: Int
        let id: Int

        static let nextID = Atomic<Int>(0)

        /// The text of `template` (its binds are dropped: they only served to number the `$n`).
        package init(_ template: SQL) {
            text = template.text
            parameterCount = template.binds.count
            id = Statement.nextID.add(1, ordering: .relaxed).newValue
        }

        /// Text written with its parameters numbered (`$1 … $n`, one number per value, however
        /// often it appears): the statement's one description. Only for text the program wrote.
        package init(numbered text: String) {
            self.text = text
            var highest = 0
            var digits: Int? = nil
            for byte in text.utf8 + [0] {
                if let value = digits, (0x30...0x39).contains(byte) {
                    digits = value * 10 + Int(byte - 0x30)
                    continue
                }
                if let value = digits { highest = max(highest, value) }
                digits = byte == UInt8(ascii: "$") ? 0 : nil
            }
            parameterCount = highest
            id = Statement.nextID.add(1, ordering: .relaxed).newValue
        }

        /// This statement with `binds`, in the order the template's values had.
        package func callAsFunction(_ binds: [String?]) -> SQL {
            precondition(binds.count == parameterCount, "\(binds.count) binds for \(parameterCount) parameters")
            return SQL(statement: self, binds: binds)
        }
    }

    package struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [String?] = []

        package init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        package mutating func appendLiteral(_ literal: StaticString) { text += literal.description }

        package mutating func appendInterpolation(_ value: String?) { bind(value) }
        package mutating func appendInterpolation(_ value: Int64?) { bind(value.map { String($0) }) }
        package mutating func appendInterpolation(_ value: Int?) { bind(value.map { String($0) }) }

        /// A list as one bind, in PostgreSQL's array text form (each element quoted), for a
        /// `::text[]`, `::bigint[]` or `::uuid[]` cast: `unnest(\(array: names)::text[])`.
        package mutating func appendInterpolation(array values: [String]) {
            bind("{" + values.map { value in
                "\"" + String(value.flatMap { $0 == "\\" || $0 == "\"" ? ["\\", $0] : [$0] }) + "\""
            }.joined(separator: ",") + "}")
        }

        /// Embeds a fragment (itself built by interpolation), renumbering its binds after
        /// the ones already here, so a repeated clause is written once.
        package mutating func appendInterpolation(fragment: SQL) {
            let offset = binds.count
            var out: [UInt8] = []
            var bytes = Array(fragment.text.utf8)[...]
            while let byte = bytes.popFirst() {
                out.append(byte)
                guard byte == UInt8(ascii: "$"), let first = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { continue }
                var number = 0
                while let digit = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                    number = number * 10 + Int(digit - UInt8(ascii: "0"))
                    bytes.removeFirst()
                }
                out += Array(String(number + offset).utf8)
            }
            text += String(decoding: out, as: UTF8.self)
            binds += fragment.binds
        }

        mutating func bind(_ value: String?) {
            binds.append(value)
            text += "$\(binds.count)"
        }
    }
}

/// One result row, copied out of libpq into Swift strings (text format), with its result's
/// column names (shared by every row of the result).
package struct PostgresRow: Sendable, Equatable {
    package let values: [String?]
    package let columns: [String]

    package init(_ values: [String?], columns: [String] = []) {
        self.values = values
        self.columns = columns
    }

    /// Rows are equal when their values are (the column names describe, they do not distinguish).
    package static func == (lhs: PostgresRow, rhs: PostgresRow) -> Bool { lhs.values == rhs.values }

    package subscript(index: Int) -> String? { values[index] }

    /// The value of the column named `name`; a column the statement does not return is a
    /// programming error worth a clear trap.
    package subscript(column name: String) -> String? {
        guard let index = columns.firstIndex(of: name) else { preconditionFailure("the result has no column \(name)") }
        return values[index]
    }

    package func int64(column name: String) -> Int64? { self[column: name].flatMap { Int64($0) } }

    /// A non-null column by name.
    package func string(column name: String) -> String {
        guard let value = self[column: name] else { preconditionFailure("column \(name) is NULL") }
        return value
    }

    /// A non-null column as text; a schema mismatch is a programming error worth a clear trap.
    package func string(_ index: Int) -> String {
        guard let value = values[index] else { preconditionFailure("column \(index) is NULL") }
        return value
    }

    package func int64(_ index: Int) -> Int64? { values[index].flatMap { Int64($0) } }
}
