extension Substring {
    /// Without leading and trailing spaces and tabs.
    package func trimmingSpaces() -> Substring { trimmingCharacters(in: " \t") }

    /// Without leading and trailing characters from `set`.
    package func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}
