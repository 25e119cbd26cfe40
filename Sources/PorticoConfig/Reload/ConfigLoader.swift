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
    /// Decoded manifest files, reused while unchanged.
    public let decodeCache = DirectoryProvider.DecodeCache()
    private var lastGood: ClusterState?

    public struct Result: Sendable {
        public var state: ClusterState
        public var snapshot: RoutingSnapshot
        public var diagnostics: [Diagnostic]
        /// `Kind namespace/name` of objects served in their previous version.
        public var keptPrevious: [String]
        /// `namespace/name` of the Ingresses of our class.
        public var servedIngresses: [String]
    }

    public init(rulesDirectory: String, certsDirectory: String, options: CompileOptions) {
        self.rulesDirectory = rulesDirectory
        self.certsDirectory = certsDirectory
        self.options = options
    }

    /// Loads `ingress-rules/` and `certs/`.
    public func load() -> Result {
        let loaded = DirectoryProvider(directory: self.rulesDirectory).load(cache: self.decodeCache)
        var state = loaded.state
        var kept: [String] = []
        if let previous = self.lastGood {
            // Objects of a file that now has errors, and that the new load lost, keep their
            // previous version.
            let brokenFiles = Set(loaded.diagnostics.filter { $0.severity == .error }.compactMap(\.file))
            for object in previous.objects where brokenFiles.contains(object.location.file) && !state.contains(object.key) {
                state.add(object.object)
                kept.append(object.key.description)
            }
        }
        return self.load(state: state, diagnostics: loaded.diagnostics, kept: kept)
    }

    /// Compiles a state another provider produced (the Kubernetes API), with the certificate
    /// files of `certs/`. Ingresses that no longer compile keep their last good version here
    /// too.
    public func load(state provided: ClusterState, diagnostics: [Diagnostic], kept previouslyKept: [String] = []) -> Result {
        var state = provided
        var kept = previouslyKept
        state.certificateFiles = CertificateDirectory(directory: self.certsDirectory).load()
        var compiled = IngressCompiler.compile(state, options: self.options, regexCache: self.regexCache)
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
                kept.append(key)
                replaced = true
            }
            if replaced {
                let failedDiagnostics = compiled.diagnostics.filter { $0.severity == .error && kept.contains($0.object ?? "") }
                compiled = IngressCompiler.compile(state, options: self.options, regexCache: self.regexCache)
                compiled.diagnostics = failedDiagnostics + compiled.diagnostics
            }
        }
        self.lastGood = state
        let notes = kept.map { Diagnostic(.warning, object: $0, message: "kept its last good version until the error above is fixed") }
        return Result(
            state: state, snapshot: compiled.snapshot, diagnostics: diagnostics + compiled.diagnostics + notes,
            keptPrevious: kept, servedIngresses: compiled.servedIngresses)
    }
}
