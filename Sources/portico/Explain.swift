import ArgumentParser
import PorticoConfig

/// `portico explain URL`: how one request is routed, step by step.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how one request is routed: candidates in order, captures, rewrite, endpoints, redirects.")

    @OptionGroup var rules: RulesOptions

    @Argument(help: "The request: a URL (GET) or \"METHOD URL\", e.g. http://192-168-100-100.nip.io/one/aaa")
    var request: [String]

    @Option(help: "A Host header that overrides the URL's authority.")
    var host: String?

    func run() throws {
        let loaded = LoadedRules(self.rules)
        switch OfflineRequest.parse(self.request.joined(separator: " "), hostHeader: self.host) {
        case .success(let request):
            print(Explanation.explain(request, snapshot: loaded.snapshot), terminator: "")
        case .failure(let error):
            throw ValidationError(error.description)
        }
    }
}
