import PorticoDiagnostics
import Yams

/// Reads Kubernetes manifests (multi-document YAML or JSON, `kind: List` included) into
/// `KubeObject`s, one located `Diagnostic` per problem.
///
/// Each document is parsed on its own, so a YAML syntax error loses only that document, and a
/// document with a bad field loses only its own object.
public enum ManifestDecoder {
    /// The apiVersion each kind Portico reads must have.
    /// (The Gateway API's older `v1beta1` is the same schema for these kinds.)
    static let supportedKinds: [String: [String]] = [
        "Ingress": ["networking.k8s.io/v1"],
        "IngressClass": ["networking.k8s.io/v1"],
        "Service": ["v1"],
        "Endpoints": ["v1"],
        "Secret": ["v1"],
        "Pod": ["v1"],
        "ConfigMap": ["v1"],
        "Namespace": ["v1"],
        "EndpointSlice": ["discovery.k8s.io/v1"],
        "GatewayClass": ["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"],
        "Gateway": ["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"],
        "HTTPRoute": ["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"],
        "GRPCRoute": ["gateway.networking.k8s.io/v1"],
        "ReferenceGrant": ["gateway.networking.k8s.io/v1beta1", "gateway.networking.k8s.io/v1"],
    ]

    public struct Result: Sendable {
        public var objects: [(object: KubeObject, location: SourceLocation)] = []
        public var issues: [Diagnostic] = []
    }

    /// Decodes the text of one file. `file` is the name used in messages.
    public static func decode(file: String, text: String) -> Result {
        var result = Result()
        for chunk in Self.splitDocuments(text) {
            let node: Node?
            do {
                // No tag resolution: fields are typed by NodeReader from the scalar's text and
                // style, and resolving every scalar's tag with regexes was most of a large load.
                node = try Yams.compose(yaml: chunk.text, .basic)
            } catch let error as YamlError {
                let (line, message) = Self.describe(error)
                result.issues.append(
                    Diagnostic(.error, file: file, line: line.map { $0 + chunk.firstLine - 1 } ?? chunk.firstLine,
                                  message: "invalid YAML: \(message); this document is skipped"))
                continue
            } catch {
                result.issues.append(Diagnostic(.error, file: file, line: chunk.firstLine, message: "invalid YAML: \(error)"))
                continue
            }
            guard let node else { continue }  // an empty document
            Self.decodeDocument(
                NodeReader(node: node, path: "", lineOffset: chunk.firstLine - 1), file: file, into: &result)
        }
        return result
    }

    static func decodeDocument(_ reader: NodeReader, file: String, into result: inout Result) {
        let line = reader.line ?? 1
        guard case .mapping = reader.node else {
            result.issues.append(Diagnostic(.error, file: file, line: line, message: "a manifest must be an object with apiVersion and kind"))
            return
        }
        let kind: String
        let apiVersion: String
        do {
            kind = try reader.required("kind").string()
            apiVersion = try reader.required("apiVersion").string()
        } catch {
            result.issues.append(Diagnostic(.error, file: file, line: error.line ?? line, field: error.field, message: error.message))
            return
        }
        if kind == "List" || kind.hasSuffix("List") && apiVersion == "v1" && kind != "List" && (try? reader.child("items")) != nil {
            do {
                for item in try reader.optionalList("items") { Self.decodeDocument(item, file: file, into: &result) }
            } catch {
                result.issues.append(Diagnostic(.error, file: file, line: error.line, field: error.field, message: error.message))
            }
            return
        }
        let metadataReader = try? reader.child("metadata")
        let name = (try? metadataReader?.optionalString("name")) ?? nil
        let namespace = ((try? metadataReader?.optionalString("namespace")) ?? nil) ?? "default"
        let objectName = "\(kind) \(namespace)/\(name ?? "<unnamed>")"
        guard let expectedVersions = Self.supportedKinds[kind] else {
            result.issues.append(
                Diagnostic(.info, file: file, line: line, object: objectName,
                              message: "skipped: Portico reads Ingress, IngressClass, Service, Endpoints, EndpointSlice, Secret, Pod, ConfigMap, Namespace, GatewayClass, Gateway, HTTPRoute, GRPCRoute and ReferenceGrant, not \(apiVersion) \(kind)"))
            return
        }
        guard expectedVersions.contains(apiVersion) else {
            result.issues.append(
                Diagnostic(.error, file: file, line: line, object: objectName, field: "apiVersion",
                              message: "\(kind) must be \(expectedVersions.joined(separator: " or ")), got \"\(apiVersion)\"\(Self.versionHint(kind: kind, apiVersion: apiVersion)); the object is left out"))
            return
        }
        let location = SourceLocation(file: file, line: line)
        do {
            let metadata = try ObjectMeta(reader: try reader.required("metadata"))
            let object: KubeObject
            switch kind {
            case "Ingress": object = .ingress(try Ingress(reader: reader, metadata: metadata, location: location))
            case "IngressClass": object = .ingressClass(try IngressClass(reader: reader, metadata: metadata, location: location))
            case "Service": object = .service(try Service(reader: reader, metadata: metadata, location: location))
            case "Endpoints": object = .endpoints(try Endpoints(reader: reader, metadata: metadata, location: location))
            case "EndpointSlice": object = .endpointSlice(try EndpointSlice(reader: reader, metadata: metadata, location: location))
            case "Secret": object = .secret(try Secret(reader: reader, metadata: metadata, location: location))
            case "ConfigMap": object = .configMap(try ConfigMap(reader: reader, metadata: metadata, location: location))
            case "Namespace": object = .namespace(Namespace(metadata: metadata, location: location))
            case "GatewayClass": object = .gatewayClass(try GatewayClass(reader: reader, metadata: metadata, location: location))
            case "Gateway": object = .gateway(try Gateway(reader: reader, metadata: metadata, location: location))
            case "HTTPRoute": object = .httpRoute(try HTTPRoute(reader: reader, metadata: metadata, location: location))
            case "GRPCRoute": object = .grpcRoute(try GRPCRoute(reader: reader, metadata: metadata, location: location))
            case "ReferenceGrant": object = .referenceGrant(try ReferenceGrant(reader: reader, metadata: metadata, location: location))
            default: object = .pod(try Pod(reader: reader, metadata: metadata, location: location))
            }
            result.objects.append((object, location))
        } catch {
            result.issues.append(
                Diagnostic(.error, file: file, line: error.line ?? line, object: objectName, field: error.field,
                              message: "\(error.message); the object is left out"))
        }
    }

    static func versionHint(kind: String, apiVersion: String) -> String {
        if kind == "Ingress" && apiVersion.hasSuffix("v1beta1") {
            return " (v1beta1 Ingress is no longer served since Kubernetes 1.22)"
        }
        return ""
    }

    /// Splits a YAML stream at `---` document markers, remembering where each document starts.
    static func splitDocuments(_ text: String) -> [(text: String, firstLine: Int)] {
        var documents: [(String, Int)] = []
        var current: [Substring] = []
        var firstLine = 1
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed == "---" || trimmed.hasPrefix("--- ") || trimmed == "..." {
                documents.append((current.joined(separator: "\n"), firstLine))
                current = []
                // A document written on the marker line ("--- {a: b}") keeps its content.
                if trimmed.hasPrefix("--- ") {
                    current.append(trimmed.dropFirst(4))
                    firstLine = lineNumber
                } else {
                    firstLine = lineNumber + 1
                }
                continue
            }
            if current.isEmpty { firstLine = lineNumber }
            current.append(line)
        }
        documents.append((current.joined(separator: "\n"), firstLine))
        return documents.filter { !$0.0.allSatisfy { $0.isWhitespace } }
    }

    static func describe(_ error: YamlError) -> (line: Int?, message: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return (mark.line, [context?.text, problem].compactMap { $0 }.joined(separator: " "))
        default:
            return (nil, String(describing: error))
        }
    }
}
