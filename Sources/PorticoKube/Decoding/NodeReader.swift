import Yams

/// A cursor over a YAML/JSON node that knows its field path and source line, so every decoding
/// error says exactly where it is, the way `kubectl apply` does ("spec.rules[0].host: Invalid
/// value").
///
/// Types are checked as the Kubernetes API server checks them: a quoted `"80"` is a string and
/// is refused where an integer is required.
struct NodeReader {
    let node: Node
    let path: String
    let lineOffset: Int

    init(node: Node, path: String, lineOffset: Int) {
        self.node = node
        self.path = path
        self.lineOffset = lineOffset
    }

    var line: Int? { self.node.mark.map { $0.line + self.lineOffset } }

    func error(_ message: String) -> FieldError {
        FieldError(line: self.line, field: self.path, message: message)
    }

    private func childPath(_ key: String) -> String {
        self.path.isEmpty ? key : "\(self.path).\(key)"
    }

    /// The value under `key` of this mapping, or nil when absent or `null`.
    func child(_ key: String) throws(FieldError) -> NodeReader? {
        guard case .mapping(let mapping) = self.node else {
            throw self.error("expected an object, got \(self.kindName)")
        }
        for (keyNode, value) in mapping where keyNode.string == key {
            if case .scalar(let scalar) = value, scalar.style == .plain,
                ["null", "~", ""].contains(scalar.string)
            {
                return nil
            }
            return NodeReader(node: value, path: self.childPath(key), lineOffset: self.lineOffset)
        }
        return nil
    }

    func required(_ key: String) throws(FieldError) -> NodeReader {
        guard let value = try self.child(key) else {
            throw FieldError(line: self.line, field: self.childPath(key), message: "required field is missing")
        }
        return value
    }

    /// Keys of this mapping, in order.
    func keys() throws(FieldError) -> [String] {
        guard case .mapping(let mapping) = self.node else {
            throw self.error("expected an object, got \(self.kindName)")
        }
        return mapping.keys.compactMap(\.string)
    }

    var kindName: String {
        switch self.node {
        case .mapping: "an object"
        case .sequence: "a list"
        case .scalar(let scalar): scalar.style == .plain && Int(scalar.string) != nil ? "a number" : "a string"
        case .alias: "an alias"
        }
    }

    func string() throws(FieldError) -> String {
        guard case .scalar(let scalar) = self.node else { throw self.error("expected a string, got \(self.kindName)") }
        return scalar.string
    }

    func int() throws(FieldError) -> Int {
        guard case .scalar(let scalar) = self.node, scalar.style == .plain, let value = Int(scalar.string) else {
            if case .scalar(let scalar) = self.node {
                throw self.error("expected an integer, got \(self.kindName) \"\(scalar.string)\"")
            }
            throw self.error("expected an integer, got \(self.kindName)")
        }
        return value
    }

    func bool() throws(FieldError) -> Bool {
        guard case .scalar(let scalar) = self.node, scalar.style == .plain else {
            throw self.error("expected true or false, got \(self.kindName)")
        }
        switch scalar.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw self.error("expected true or false, got \"\(scalar.string)\"")
        }
    }

    /// An int-or-string field (`targetPort`): plain integers are numbers, anything else a name.
    func intOrString() throws(FieldError) -> IntOrString {
        guard case .scalar(let scalar) = self.node else {
            throw self.error("expected a number or a name, got \(self.kindName)")
        }
        if scalar.style == .plain, let number = Int(scalar.string) { return .int(number) }
        return .string(scalar.string)
    }

    func list() throws(FieldError) -> [NodeReader] {
        guard case .sequence(let sequence) = self.node else {
            throw self.error("expected a list, got \(self.kindName)")
        }
        return sequence.enumerated().map { index, item in
            NodeReader(node: item, path: "\(self.path)[\(index)]", lineOffset: self.lineOffset)
        }
    }

    func stringMap() throws(FieldError) -> [String: String] {
        guard case .mapping(let mapping) = self.node else {
            throw self.error("expected an object of strings, got \(self.kindName)")
        }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw self.error("keys must be strings") }
            guard case .scalar(let scalar) = value else {
                throw FieldError(line: self.line, field: self.childPath(name), message: "expected a string, got \(NodeReader(node: value, path: "", lineOffset: 0).kindName)")
            }
            result[name] = scalar.string
        }
        return result
    }

    // Optional helpers.
    func optionalString(_ key: String) throws(FieldError) -> String? { try self.child(key)?.string() }
    func optionalInt(_ key: String) throws(FieldError) -> Int? { try self.child(key)?.int() }
    func optionalBool(_ key: String) throws(FieldError) -> Bool? { try self.child(key)?.bool() }
    func optionalList(_ key: String) throws(FieldError) -> [NodeReader] { try self.child(key)?.list() ?? [] }
    func optionalStringMap(_ key: String) throws(FieldError) -> [String: String] {
        try self.child(key)?.stringMap() ?? [:]
    }
}

/// Kubernetes `IntOrString`.
public enum IntOrString: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .string(let value): value
        }
    }
}
