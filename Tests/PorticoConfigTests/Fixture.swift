import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube

/// Loads `Fixtures/<name>.yaml` and compiles it, as the directory provider would.
enum Fixture {
    static func compile(_ name: String, options: CompileOptions = CompileOptions()) throws -> (output: IngressCompiler.Output, issues: [Diagnostic]) {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let decoded = ManifestDecoder.decode(file: "\(name).yaml", text: try String(contentsOf: url, encoding: .utf8))
        var state = ClusterState()
        for (object, _) in decoded.objects { state.add(object) }
        return (IngressCompiler.compile(state, options: options), decoded.issues)
    }
}
