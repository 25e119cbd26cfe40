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
        /// Everything but the backends' warnings: Ingresses left out, paths shadowed, TLS.
        public var routeDiagnostics: [Diagnostic]
        /// What `snapshot.backends` was resolved from.
        public var backendTable: BackendTable
        /// `snapshot.backends` with their warnings (redone by an endpoint-only change).
        public var resolved: BackendTable.Resolved
        /// `namespace/name` of every Ingress of our class (the ones whose status we own),
        /// oldest first.
        public var servedIngresses: [String] = []
        /// What the controller ConfigMap set, key by key, as it is now in force.
        public var settingsInForce: [String: String] = [:]
        /// The status our GatewayClasses, Gateways and HTTPRoutes should show.
        public var gatewayStatus = GatewayAPIStatus()

        public var diagnostics: [Diagnostic] { self.routeDiagnostics + self.resolved.diagnostics }

        /// The same routes with the backends re-resolved against `state`, which differs from
        /// the compiled one only in Services, Endpoints, EndpointSlices and Pods: those of
        /// `services` only when the caller knows which changed, else all.
        public func withBackends(resolvedIn state: ClusterState, services: Set<ClusterState.ServiceName>? = nil) -> Output {
            var output = self
            if let services {
                output.resolved = self.backendTable.resolve(services, in: state, keeping: self.resolved)
            } else {
                output.resolved = self.backendTable.resolve(with: EndpointResolver(state: state))
            }
            output.snapshot = self.snapshot.replacingBackends(output.resolved.backends)
            return output
        }
    }

    /// - Parameter previousSettings: the ConfigMap values in force after the last compile
    ///   (`Output.settingsInForce`): a key the ConfigMap now gets wrong keeps its value.
    public static func compile(
        _ state: ClusterState, options: CompileOptions = CompileOptions(), regexCache: RegexCache = RegexCache(),
        labelCache: MetricLabelsCache = MetricLabelsCache(), previousSettings: [String: String] = [:]
    ) -> Output {
        var diagnostics: [Diagnostic] = []
        let settings = Self.settings(in: state, options: options, previous: previousSettings, diagnostics: &diagnostics)
        var builder = SnapshotBuilder(state: state, options: options, regexCache: regexCache, labelCache: labelCache, settings: settings)
        builder.diagnostics = diagnostics
        let ours = IngressClassFilter(options: options, classes: state.ingressClasses)
        var served: [String] = []
        for ingress in Self.ordered(state.ingresses) {
            if let reason = ours.rejection(for: ingress) {
                builder.diagnostics.append(
                    Diagnostic(.info, file: ingress.location.file, line: ingress.location.line,
                               object: "Ingress \(ingress.metadata.namespace)/\(ingress.metadata.name)",
                               message: "ignored: \(reason)"))
                continue
            }
            served.append("\(ingress.metadata.namespace)/\(ingress.metadata.name)")
            builder.add(ingress)
        }
        var output = builder.build()
        output.servedIngresses = served
        output.settingsInForce = settings.inForce
        return output
    }

    /// The controller settings: the ConfigMap `--configmap` names, read; ingress-nginx's
    /// defaults when there is none (ingress-nginx runs on its defaults too while the
    /// ConfigMap is missing). Other ConfigMaps are not Portico's business and pass silently.
    static func settings(
        in state: ClusterState, options: CompileOptions, previous: [String: String], diagnostics: inout [Diagnostic]
    ) -> ControllerSettings {
        guard let name = options.configMap else { return ControllerSettings() }
        guard let configMap = state.configMaps.first(where: { "\($0.metadata.namespace)/\($0.metadata.name)" == name }) else {
            diagnostics.append(
                Diagnostic(.warning, object: "ConfigMap \(name)",
                           message: "not found (--configmap): ingress-nginx's defaults are used until it exists"))
            return ControllerSettings()
        }
        let settings = ControllerConfigMap.read(configMap, previous: previous, configMaps: state.configMapsByName, diagnostics: &diagnostics)
        if !settings.customErrors.isEmpty, options.defaultBackendService == nil {
            diagnostics.append(
                Diagnostic(
                    .warning, file: configMap.location.file, line: configMap.dataLines["custom-http-errors"] ?? configMap.location.line,
                    object: "ConfigMap \(name)", field: "data.custom-http-errors",
                    message: "ingress-nginx serves these codes from its --default-backend-service; without that flag Portico intercepts them only on the paths whose Ingress sets default-backend, and elsewhere the upstream's answer passes"
                ).differing())
        }
        return settings
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
/// A class is ours when an IngressClass of that name has our `spec.controller`, or, when no
/// IngressClass of that name exists, when the name is `--ingress-class`. An IngressClass of our
/// name that belongs to another controller wins: its owner has said so. An Ingress with no class (neither `spec.ingressClassName` nor the
/// legacy `kubernetes.io/ingress.class` annotation) is ours when `watchIngressWithoutClass` is
/// set (ingress-nginx's `--watch-ingress-without-class`; always so for a directory of files,
/// which is Portico's alone), or when one of our IngressClasses carries
/// `ingressclass.kubernetes.io/is-default-class: "true"` (an Ingress created before the default
/// class existed never got the class the API server's admission fills in).
struct IngressClassFilter {
    let options: CompileOptions
    let classes: [IngressClass]

    func rejection(for ingress: Ingress) -> String? {
        guard let name = ingress.ingressClassName ?? ingress.metadata.annotations["kubernetes.io/ingress.class"] else {
            if self.options.watchIngressWithoutClass { return nil }
            if self.classes.contains(where: { $0.isDefault && $0.controller == self.options.controllerName }) { return nil }
            return "it has no ingressClassName, and no IngressClass of ours is the default (ingressclass.kubernetes.io/is-default-class: \"true\"; or --watch-ingress-without-class)"
        }
        if let ingressClass = self.classes.first(where: { $0.metadata.name == name }) {
            if ingressClass.controller == self.options.controllerName { return nil }
            return "class \"\(name)\" belongs to controller \"\(ingressClass.controller)\", not \(self.options.controllerName) (--ingress-class \(self.options.ingressClass))"
        }
        // No IngressClass object of that name: the name alone decides (manifest directories
        // rarely carry IngressClasses; ingress-nginx's --ingress-class-by-name).
        if name == self.options.ingressClass { return nil }
        return "class \"\(name)\" is not ours (--ingress-class \(self.options.ingressClass))"
    }
}
