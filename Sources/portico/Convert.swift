import ArgumentParser
import Foundation
import PorticoConfig

/// `portico convert`: the Ingresses of `--rules` as Gateway API manifests (a GatewayClass, a
/// Gateway, HTTPRoutes, ReferenceGrants where certificates live elsewhere), with a comment per
/// annotation that has no equivalent; `--verify` runs generated requests through both and
/// prints every difference, exiting 1 when there is one.
struct Convert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the Ingresses as Gateway API manifests; --verify routes the same requests through both and prints every difference.")

    @OptionGroup var rules: RulesOptions

    @Flag(help: "Compile the Ingresses and their conversion side by side and compare what each does with the same requests.")
    var verify = false

    @Option(help: "The Gateway's name.") var gatewayName = "portico"
    @Option(help: "The Gateway's namespace.") var gatewayNamespace = "default"
    @Option(help: "The GatewayClass written and named (controllerName portico.dev/gateway-controller).") var gatewayClass = "portico"

    func run() async throws {
        let loaded = LoadedRules(self.rules)
        var options = IngressConversion.Options()
        options.gatewayName = self.gatewayName
        options.gatewayNamespace = self.gatewayNamespace
        options.gatewayClass = self.gatewayClass
        let output = IngressConversion.convert(state: loaded.state, snapshot: loaded.snapshot, options: options)
        guard self.verify else {
            for note in output.notes { print("# \(note)") }
            print(output.yaml, terminator: "")
            return
        }
        for note in output.notes { print(note) }
        let report = ConversionVerification.verify(state: loaded.state, snapshot: loaded.snapshot, converted: output.yaml, options: self.rules.compileOptions())
        if !report.assumedServices.isEmpty {
            print("verified as if these Services existed without ready endpoints (they are not in --rules; a missing Service is 503 to ingress-nginx, 500 to a Gateway): \(report.assumedServices.joined(separator: ", "))")
        }
        for problem in report.diagnostics { print("converted manifests: \(problem)") }
        // A difference on an Ingress with notes above (the one that took the request, or the
        // one whose conversion did) is one of the causes they name.
        let noted = Set(output.notes.compactMap(\.object))
        var explained = 0
        for difference in report.differences {
            let origin = difference.ingressName ?? difference.gatewayRouteName.flatMap { output.origins[$0] }
            if let name = origin, noted.contains("Ingress \(name)") {
                explained += 1
                print("DIFFERENT \(difference) (see the notes on Ingress \(name))")
            } else {
                print("DIFFERENT \(difference)")
            }
        }
        print("\(report.requests) requests, \(report.differences.count) different (\(explained) on Ingresses with notes), \(output.notes.count) notes on what does not convert")
        if !report.differences.isEmpty || !report.diagnostics.isEmpty { throw ExitCode(1) }
    }
}
