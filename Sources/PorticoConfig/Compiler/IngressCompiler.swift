import PorticoKube
import PorticoDiagnostics
import PorticoRouting

/// Compiles the whole cluster state into a `RoutingSnapshot`: a pure function, no I/O.
///
/// Deterministic: Ingresses are taken oldest first (`creationTimestamp`, then namespace/name),
/// and every "first wins" rule uses that order, as ingress-nginx's `sortIngressSlice` does.
/// A bad Ingress becomes a diagnostic and is left out; the rest still compile.
public enum IngressCompiler {
    public struct Output: Sendable {
        public var snapshot: RoutingSnapshot
        public var diagnostics: [Diagnostic]
    }

    public static func compile(
        _ state: ClusterState, options: CompileOptions = CompileOptions(), regexCache: RegexCache = RegexCache()
    ) -> Output {
        var builder = SnapshotBuilder(state: state, options: options, regexCache: regexCache)
        let ours = IngressClassFilter(options: options, classes: state.ingressClasses)
        for ingress in Self.ordered(state.ingresses) {
            if let reason = ours.rejection(for: ingress) {
                builder.diagnostics.append(
                    Diagnostic(.info, file: ingress.location.file, line: ingress.location.line,
                               object: "Ingress \(ingress.metadata.namespace)/\(ingress.metadata.name)",
                               message: "ignored: \(reason)"))
                continue
            }
            builder.add(ingress)
        }
        return builder.build()
    }

    /// Oldest first; objects without a timestamp (plain files) count as newest; ties by
    /// namespace/name ascending.
    static func ordered(_ ingresses: [Ingress]) -> [Ingress] {
        ingresses.sorted { lhs, rhs in
            switch (lhs.metadata.creationTimestamp, rhs.metadata.creationTimestamp) {
            case (let l?, let r?) where l != r: return l < r
            case (_?, nil): return true
            case (nil, _?): return false
            default:
                return (lhs.metadata.namespace, lhs.metadata.name) < (rhs.metadata.namespace, rhs.metadata.name)
            }
        }
    }
}

/// Decides whether an Ingress is ours.
///
/// An Ingress with no class (neither `spec.ingressClassName` nor the legacy
/// `kubernetes.io/ingress.class` annotation) is served. A class is ours when its name is
/// `--ingress-class`, or when an IngressClass of that name has our `spec.controller`.
struct IngressClassFilter {
    let options: CompileOptions
    let classes: [IngressClass]

    func rejection(for ingress: Ingress) -> String? {
        guard let name = ingress.ingressClassName ?? ingress.metadata.annotations["kubernetes.io/ingress.class"] else {
            return nil
        }
        if name == self.options.ingressClass { return nil }
        if let ingressClass = self.classes.first(where: { $0.metadata.name == name }) {
            if ingressClass.controller == self.options.controllerName { return nil }
            return "class \"\(name)\" belongs to controller \"\(ingressClass.controller)\", not \(self.options.controllerName) (--ingress-class \(self.options.ingressClass))"
        }
        return "class \"\(name)\" is not ours (--ingress-class \(self.options.ingressClass))"
    }
}
