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
        if !loaded.diagnostics.isEmpty {
            print("")
            print("diagnostics:")
            for diagnostic in loaded.diagnostics { print("  \(diagnostic)") }
        }
    }
}
