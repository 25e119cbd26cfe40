import ArgumentParser
import Foundation
import PorticoConfig
import PorticoDiagnostics

/// `portico check`: compile the rules offline (no sockets), print every diagnostic, and run
/// rewrite regression cases. Exits non-zero on any manifest error or failed case, so it can gate
/// CI or a pre-commit hook.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile the rules offline, print diagnostics, and run rewrite regression cases (--cases).")

    @OptionGroup var rules: RulesOptions

    @Option(help: "A YAML list of cases: {request: \"GET http://host/path\", headers: {...}, expect: {status, service, upstreamPath, location}}.")
    var cases: String?

    @Flag(help: "Print a migration report instead: per Ingress, served unchanged / degraded (which annotation, why) / left out (why), and the share of each.")
    var report = false

    @Flag(help: "With --report: as JSON.")
    var json = false

    func run() throws {
        let loaded = LoadedRules(self.rules)
        let diagnostics = loaded.diagnostics + loaded.certificateDiagnostics()
        if self.report {
            let report = MigrationReport(state: loaded.state, snapshot: loaded.snapshot, diagnostics: diagnostics)
            print(self.json ? report.renderJSON() : report.renderTable(), terminator: "")
            return
        }
        for diagnostic in diagnostics where diagnostic.severity != .info { print(diagnostic) }
        let errorCount = diagnostics.filter { $0.severity == .error }.count
        var failed = 0
        var passed = 0
        var caseErrors = 0
        if let path = self.cases {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read cases file \(path)")
            }
            let file = RewriteCaseFile.decode(file: path, text: text)
            for diagnostic in file.diagnostics { print(diagnostic) }
            caseErrors = file.diagnostics.count
            for testCase in file.cases {
                let outcome = RequestSimulation.run(testCase.request, snapshot: loaded.snapshot)
                let problems = testCase.mismatches(outcome)
                if problems.isEmpty {
                    passed += 1
                } else {
                    failed += 1
                    print("FAIL \(path):\(testCase.line): \(testCase.requestText): \(problems.joined(separator: "; "))")
                }
            }
            print("\(passed) passed, \(failed) failed")
        } else {
            print("\(errorCount) errors, \(diagnostics.filter { $0.severity == .warning }.count) warnings")
        }
        if errorCount > 0 || failed > 0 || caseErrors > 0 { throw ExitCode(1) }
    }
}
