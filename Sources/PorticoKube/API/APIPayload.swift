import Foundation
import PorticoDiagnostics
import Yams

/// A JSON body from the Kubernetes API server (a list, a watch event, a Status), read with the
/// same `NodeReader` rules as manifests so an object from the API and the same object from a
/// file decode identically.
///
/// JSON is a subset of YAML, and kube-apiserver's compact `encoding/json` output parses with
/// libyaml: strings come back double-quoted (so `"80"` stays a string, as in manifests), numbers
/// and booleans plain.
public struct APIPayload {
    let node: Node

    init(node: Node) {
        self.node = node
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String) throws(ParseError) -> APIPayload {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, .basic)
        } catch {
            throw ParseError(description: "invalid JSON: \(error)")
        }
        guard let node else { throw ParseError(description: "empty body") }
        return APIPayload(node: node)
    }

    private var reader: NodeReader { NodeReader(node: self.node, path: "", lineOffset: 0) }

    /// The value under a key of an object, if any.
    public subscript(key: String) -> APIPayload? {
        (try? self.reader.child(key)).flatMap { $0 }.map { APIPayload(node: $0.node) }
    }

    /// The text of a scalar.
    public var string: String? {
        if case .scalar(let scalar) = self.node { return scalar.string }
        return nil
    }

    public var int: Int? { (try? self.reader.int()) }

    /// The elements of a list (a missing list is empty).
    public var items: [APIPayload] {
        guard case .sequence(let sequence) = self.node else { return [] }
        return sequence.map(APIPayload.init(node:))
    }

    /// `metadata.resourceVersion`.
    public var resourceVersion: String? { self["metadata"]?["resourceVersion"]?.string }

    /// Decodes one object. List items come without `kind` and `apiVersion` (the API server
    /// leaves them out of typed lists), so the expected ones are filled in when missing.
    /// `source` names where it came from in diagnostics.
    public func decodeObject(kind: String, apiVersion: String, source: String) -> ManifestDecoder.Result {
        var node = self.node
        if case .mapping(var mapping) = node {
            if mapping["kind"] == nil { mapping["kind"] = Node(kind) }
            if mapping["apiVersion"] == nil { mapping["apiVersion"] = Node(apiVersion) }
            node = .mapping(mapping)
        }
        var result = ManifestDecoder.Result()
        ManifestDecoder.decodeDocument(NodeReader(node: node, path: "", lineOffset: 0), file: source, into: &result)
        return result
    }

    /// The value as Foundation JSON objects (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`,
    /// `Bool`, `NSNull`): a quoted scalar stays a string, a plain one is typed by its text, as
    /// JSON means it.
    public var jsonValue: Any {
        switch self.node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { if let name = key.string { object[name] = APIPayload(node: value).jsonValue } }
            return object
        case .sequence(let sequence):
            return sequence.map { APIPayload(node: $0).jsonValue }
        case .scalar(let scalar):
            guard scalar.style == .plain else { return scalar.string }
            switch scalar.string {
            case "true": return true
            case "false": return false
            case "null", "~", "": return NSNull()
            default:
                if let number = Int(scalar.string) { return number }
                if let number = Double(scalar.string) { return number }
                return scalar.string
            }
        case .alias:
            return NSNull()
        }
    }

    /// `status.loadBalancer.ingress` of an Ingress or Service: each entry's `ip` or `hostname`.
    public var loadBalancerAddresses: [String] {
        (self["status"]?["loadBalancer"]?["ingress"]?.items ?? []).compactMap { entry in
            entry["ip"]?.string ?? entry["hostname"]?.string
        }
    }
}
