import ArgumentParser
import PorticoConfig

/// `portico routes`: the compiled table resolved to endpoint addresses, then every diagnostic.
struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the compiled routing table, resolved to endpoint addresses, and every diagnostic.")

    @OptionGroup var rules: RulesOptions

    func run() throws {
        let loaded = LoadedRules(self.rules)
        print(RouteListing.render(loaded.snapshot), terminator: "")
        print("")
        print("TLS (SNI: exact host, then *.parent, then the default):")
        print(RouteListing.renderTLS(loaded.snapshot).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        let diagnostics = loaded.diagnostics + loaded.certificateDiagnostics()
        if !diagnostics.isEmpty {
            print("")
            print("diagnostics:")
            for diagnostic in diagnostics { print("  \(diagnostic)") }
        }
    }
}
