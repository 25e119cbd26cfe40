import PorticoConfig
import PorticoDiagnostics
import PorticoRouting

/// Manifests read and compiled once: what `serve` starts from and `routes` prints.
struct LoadedRules {
    var state: ClusterState
    var snapshot: RoutingSnapshot
    var diagnostics: [Diagnostic]

    init(_ options: RulesOptions) {
        let loaded = DirectoryProvider(directory: options.rules).load()
        let compiled = IngressCompiler.compile(
            loaded.state, options: CompileOptions(ingressClass: options.ingressClass, controllerName: options.controllerName))
        self.state = loaded.state
        self.snapshot = compiled.snapshot
        self.diagnostics = loaded.diagnostics + compiled.diagnostics
    }

    var errorCount: Int { self.diagnostics.filter { $0.severity == .error }.count }
}
