/// The `metadata` fields Portico reads.
public struct ObjectMeta: Hashable, Sendable {
    public var name: String
    /// `default` when the manifest leaves it out, as kubectl does.
    public var namespace: String
    public var labels: [String: String]
    public var annotations: [String: String]
    /// RFC 3339 text; compared as text, which orders correctly for the API's UTC `Z` form.
    public var creationTimestamp: String?
    /// `metadata.generation`: what status conditions report as `observedGeneration`.
    public var generation: Int?

    public init(
        name: String,
        namespace: String = "default",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        creationTimestamp: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
    }

    init(reader: NodeReader) throws(FieldError) {
        let name = try reader.required("name").string()
        guard Self.isValidName(name) else {
            throw try reader.required("name").error(
                "\"\(name)\" is not a valid name (lowercase letters, digits, '-' and '.', at most 253)")
        }
        self.name = name
        self.namespace = try reader.optionalString("namespace") ?? "default"
        self.labels = try reader.optionalStringMap("labels")
        self.annotations = try reader.optionalStringMap("annotations")
        self.creationTimestamp = try reader.optionalString("creationTimestamp")
        self.generation = try reader.optionalInt("generation")
    }

    /// RFC 1123 subdomain, the rule most kinds' names follow.
    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }
}

/// Where an object was read from.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(self.file):\(self.line)" }
}
