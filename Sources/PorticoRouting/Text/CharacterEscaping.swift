extension String {
    /// The string with every character `replacement` maps replaced by its text: one escaper for
    /// the formats Portico writes (Prometheus label values, the route map's HTML). Returns the
    /// string itself, uncopied, when nothing needs replacing.
    public func escaping(_ replacement: (Character) -> String?) -> String {
        guard self.contains(where: { replacement($0) != nil }) else { return self }
        var out = ""
        out.reserveCapacity(self.utf8.count + 8)
        for character in self {
            if let text = replacement(character) { out += text } else { out.append(character) }
        }
        return out
    }
}
