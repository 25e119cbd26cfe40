import ArgumentParser
import Foundation
import Logging
import NIOPosix
import PorticoConfig
import PorticoDiagnostics

/// `portico check`: compile the rules offline (no sockets), print every diagnostic, and run
/// rewrite regression cases. Exits non-zero on any manifest error or failed case, so it can gate
/// CI or a pre-commit hook.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile the rules offline, print diagnostics, and run rewrite regression cases (--cases).")

    @OptionGroup var rules: RulesOptions

    @Option(help: "A YAML list of cases: {request: \"GET http://host/path\", headers: {...}, expect: {status, service, upstreamPath, location}}.")
    var cases: String?

    @Flag(help: "Print a migration report instead: per Ingress, served unchanged / degraded (which annotation, why) / left out (why), and the share of each.")
    var report = false

    @Flag(help: "With --report: as JSON.")
    var json = false

    @Option(help: "Read the Ingresses (and what they use) from this cluster instead of --rules: the kubeconfig's current context, listed once.")
    var kubeconfig: String?

    @Option(help: "With --kubeconfig: this namespace only.")
    var namespace: String?

    @Flag(help: "With --kubeconfig: count Ingresses that name no class too (ingress-nginx's flag of the same name).")
    var watchIngressWithoutClass = false

    func run() async throws {
        let loaded = try await self.load()
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

    /// The rules from `--rules`, or with `--kubeconfig` from one full list of every kind the
    /// controller watches (what a running Portico would start from), within 30 s.
    func load() async throws -> LoadedRules {
        guard let kubeconfig = self.kubeconfig else { return LoadedRules(self.rules) }
        var arguments = ["--kubeconfig", kubeconfig]
        if let namespace = self.namespace { arguments += ["--namespace", namespace] }
        let cluster = try KubernetesOptions.parse(arguments)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logger = { var logger = Logger(label: "portico.check"); logger.logLevel = .error; return logger }()
        let controller = try KubernetesController(options: cluster, configMap: self.rules.configMapName, group: group, logger: logger)
        let synced = await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                await controller.waitForSync(logger: logger)
                return true
            }
            tasks.addTask {
                try? await Task.sleep(for: .seconds(30))
                return false
            }
            let first = await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
        let (state, diagnostics, _, _) = controller.store.takeState()
        await controller.stop()
        try? await group.shutdownGracefully()
        guard synced else { throw ValidationError("the Kubernetes API did not list every kind within 30 s (\(controller.store.health.failing))") }
        var options = self.rules.compileOptions()
        options.watchIngressWithoutClass = self.watchIngressWithoutClass
        let loader = ConfigLoader(rulesDirectory: self.rules.rules, certsDirectory: self.rules.certs, options: options)
        return LoadedRules(loader.load(state: state, diagnostics: diagnostics))
    }
}
