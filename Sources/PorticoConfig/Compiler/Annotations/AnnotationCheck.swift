import PorticoKube
import PorticoDiagnostics
import PorticoRouting

/// Reports `nginx.ingress.kubernetes.io/*` annotations Portico does not act on, so a migrated
/// Ingress never silently behaves differently.
enum AnnotationCheck {
    static let prefix = "nginx.ingress.kubernetes.io/"
    /// Annotations that are acted on: the names the parser registry declares.
    static var supported: Set<String> { IngressAnnotations.supportedNames }

    static func check(_ ingress: Ingress, object: String, into diagnostics: inout [Diagnostic]) {
        for key in ingress.metadata.annotations.keys.sorted() where key.hasPrefix(Self.prefix) {
            let name = String(key.dropFirst(Self.prefix.count))
            guard !Self.supported.contains(name) else { continue }
            let message =
                name.hasSuffix("-snippet") || name == "configuration-snippet"
                ? "snippet annotations are refused: they inject raw configuration, the hole that retired ingress-nginx's snippets; the annotation is ignored"
                : "annotation is not supported yet and is ignored"
            diagnostics.append(
                Diagnostic(.warning, file: ingress.location.file, line: ingress.location.line, object: object,
                           field: "metadata.annotations[\(key)]", message: message).differing())
        }
    }
}
