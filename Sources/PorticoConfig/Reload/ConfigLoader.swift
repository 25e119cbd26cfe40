import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// Loads `ingress-rules/` and `certs/` and compiles them, keeping the last good version of any
/// object that a change broke.
///
/// A file whose new contents fail (bad YAML, a bad field) would otherwise lose its objects; an
/// Ingress whose new version does not compile (a bad regex, a bad annotation) would otherwise
/// disappear. Either way the previous version of the object stays in service, with the error
/// reported. The regex cache lives across loads, so a change that touches only endpoints
/// recompiles no regex.
public final class ConfigLoader {
    public let rulesDirectory: String
    public let certsDirectory: String
    public let options: CompileOptions
    private let regexCache = RegexCache()
    private let labelCache = MetricLabelsCache()
    /// Decoded manifest files, reused while unchanged.
    public let decodeCache = DirectoryProvider.DecodeCache()
    private var lastGood: ClusterState?
    /// The last compile: the state as provided (before last good versions were put back), what
    /// it compiled to, and which Ingresses were kept. A state with the same route inputs needs
    /// only its backends re-resolved.
    private var lastCompile: (provided: ClusterState, output: IngressCompiler.Output, kept: [String])?
    /// The controller ConfigMap's values in force: a key a change gets wrong keeps its value.
    private var settingsInForce: [String: String] = [:]

    public struct Result: Sendable {
        public var state: ClusterState
        public var snapshot: RoutingSnapshot
        public var diagnostics: [Diagnostic]
        /// `Kind namespace/name` of objects served in their previous version.
        public var keptPrevious: [String]
        /// `namespace/name` of the Ingresses of our class.
        public var servedIngresses: [String]
        /// What our Gateway API objects' status should say.
        public var gatewayStatus = GatewayAPIStatus()
        /// Only backends were resolved again (an endpoint-only change): no route was compiled.
        public var backendsOnly = false
    }

    public init(rulesDirectory: String, certsDirectory: String, options: CompileOptions) {
        self.rulesDirectory = rulesDirectory
        self.certsDirectory = certsDirectory
        self.options = options
    }

    /// Loads `ingress-rules/` and `certs/`. `changed`: the files inotify named since the last
    /// load, when it could name them all (the rest of the tree is then not walked again).
    public func load(changed: Set<String>? = nil) -> Result {
        let loaded = DirectoryProvider(directory: self.rulesDirectory).load(cache: self.decodeCache, changed: changed)
        var state = loaded.state
        var kept: [String] = []
        let brokenFiles = Set(loaded.diagnostics.filter { $0.severity == .error }.compactMap(\.file))
        if let previous = self.lastGood, !brokenFiles.isEmpty {
            // Objects of a file that now has errors, and that the new load lost, keep their
            // previous version.
            for object in previous.objects where brokenFiles.contains(object.location.file) && !state.contains(object.key) {
                state.add(object.object)
                kept.append(object.key.description)
            }
        }
        return self.load(state: state, diagnostics: loaded.diagnostics, kept: kept, changedServices: kept.isEmpty ? loaded.changedServices : nil)
    }

    /// Compiles a state another provider produced (the Kubernetes API), with the certificate
    /// files of `certs/`. Ingresses that no longer compile keep their last good version here
    /// too. A state that differs from the last only in what backends resolve from re-resolves
    /// the backends alone: those of `changedServices` when the provider knows them, else all.
    public func load(
        state provided: ClusterState, diagnostics: [Diagnostic], kept previouslyKept: [String] = [],
        changedServices: Set<ClusterState.ServiceName>? = nil
    ) -> Result {
        var state = provided
        var kept = previouslyKept
        state.certificateFiles = CertificateDirectory(directory: self.certsDirectory).load()
        if let last = self.lastCompile, state.hasSameRouteInputs(as: last.provided), var good = self.lastGood {
            // Only what backends resolve from changed: the routes stand, no Ingress is compiled
            // again and no regex or certificate is touched.
            let compiled = last.output.withBackends(resolvedIn: state, services: changedServices)
            kept += last.kept
            good.services = state.services
            good.endpoints = state.endpoints
            good.endpointSlices = state.endpointSlices
            good.pods = state.pods
            self.lastGood = good
            self.lastCompile = (state, compiled, last.kept)
            var result = self.result(state: good, compiled: compiled, diagnostics: diagnostics, kept: kept)
            result.backendsOnly = true
            return result
        }
        var keptIngresses: [String] = []
        let providedState = state
        var compiled = IngressCompiler.compile(
            state, options: self.options, regexCache: self.regexCache, labelCache: self.labelCache, previousSettings: self.settingsInForce)
        if let previous = self.lastGood {
            // Ingresses whose new version was left out by the compiler keep their previous one.
            let failed = Set(compiled.diagnostics.filter { $0.severity == .error }.compactMap(\.object))
            var replaced = false
            for ingress in previous.ingresses {
                let key = "Ingress \(ingress.metadata.namespace)/\(ingress.metadata.name)"
                guard failed.contains(key), let index = state.ingresses.firstIndex(where: { $0.metadata.namespace == ingress.metadata.namespace && $0.metadata.name == ingress.metadata.name }),
                    state.ingresses[index] != ingress
                else { continue }
                state.ingresses[index] = ingress
                keptIngresses.append(key)
                replaced = true
            }
            if replaced {
                let failedDiagnostics = compiled.diagnostics.filter { $0.severity == .error && keptIngresses.contains($0.object ?? "") }
                compiled = IngressCompiler.compile(
            state, options: self.options, regexCache: self.regexCache, labelCache: self.labelCache, previousSettings: self.settingsInForce)
                compiled.routeDiagnostics = failedDiagnostics + compiled.routeDiagnostics
            }
        }
        kept += keptIngresses
        self.settingsInForce = compiled.settingsInForce
        self.lastGood = state
        self.lastCompile = (providedState, compiled, keptIngresses)
        return self.result(state: state, compiled: compiled, diagnostics: diagnostics, kept: kept)
    }

    private func result(state: ClusterState, compiled: IngressCompiler.Output, diagnostics: [Diagnostic], kept: [String]) -> Result {
        let notes = kept.map { Diagnostic(.warning, object: $0, message: "kept its last good version until the error above is fixed") }
        return Result(
            state: state, snapshot: compiled.snapshot, diagnostics: diagnostics + compiled.diagnostics + notes,
            keptPrevious: kept, servedIngresses: compiled.servedIngresses, gatewayStatus: compiled.gatewayStatus)
    }
}
