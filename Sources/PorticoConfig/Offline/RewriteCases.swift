import PorticoDiagnostics
import Yams

/// A rewrite regression case from a `portico check --cases` file:
/// ```yaml
/// - request: GET http://192-168-100-100.nip.io/one/aaa/bbb?x=1
///   headers: {User-Agent: test}
///   expect: {service: default/one-svc:80, upstreamPath: /aaa/bbb?x=1}
/// ```
/// Every field under `expect` is optional; those present must all hold.
public struct RewriteCase: Sendable, Equatable {
    public var line: Int
    public var request: OfflineRequest
    public var requestText: String
    public var expectStatus: Int?
    public var expectService: String?
    public var expectUpstreamPath: String?
    public var expectLocation: String?

    /// The mismatches between this case's expectations and `outcome`, one text each.
    public func mismatches(_ outcome: SimulatedOutcome) -> [String] {
        var problems: [String] = []
        func check(_ name: String, _ expected: String?, _ got: String?) {
            guard let expected, expected != got else { return }
            problems.append("expected \(name) \(expected), got \(got ?? "none")")
        }
        if let status = self.expectStatus, status != outcome.status {
            problems.append("expected status \(status), got \(outcome.status.map(String.init) ?? "none: proxied to \(outcome.service ?? "?"), the upstream decides")")
        }
        check("service", self.expectService, outcome.service)
        check("upstreamPath", self.expectUpstreamPath, outcome.status == nil ? outcome.upstreamPath : nil)
        check("location", self.expectLocation, outcome.location)
        return problems
    }
}

public enum RewriteCaseFile {
    /// Decodes a cases file; problems are located diagnostics and those cases are skipped.
    public static func decode(file: String, text: String) -> (cases: [RewriteCase], diagnostics: [Diagnostic]) {
        var cases: [RewriteCase] = []
        var diagnostics: [Diagnostic] = []
        func fail(_ line: Int?, _ field: String?, _ message: String) {
            diagnostics.append(Diagnostic(.error, file: file, line: line, field: field, message: message))
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            fail(nil, nil, "invalid YAML: \(error)")
            return ([], diagnostics)
        }
        guard case .sequence(let items)? = root else {
            fail(1, nil, "a cases file is a YAML list of {request, headers, expect}")
            return ([], diagnostics)
        }
        for (index, item) in items.enumerated() {
            let line = item.mark?.line ?? 0
            let field = "[\(index)]"
            guard case .mapping(let mapping) = item, let requestText = mapping["request"]?.string else {
                fail(line, field + ".request", "each case needs request: \"METHOD URL\"")
                continue
            }
            var hostHeader: String?
            if case .mapping(let headers)? = mapping["headers"] {
                for (key, value) in headers where key.string?.lowercased() == "host" { hostHeader = value.string }
            }
            let request: OfflineRequest
            switch OfflineRequest.parse(requestText, hostHeader: hostHeader) {
            case .success(let parsed): request = parsed
            case .failure(let error):
                fail(line, field + ".request", error.description)
                continue
            }
            var testCase = RewriteCase(line: line, request: request, requestText: requestText)
            if let expect = mapping["expect"] {
                guard case .mapping(let expected) = expect else {
                    fail(line, field + ".expect", "expect is an object of status, service, upstreamPath, location")
                    continue
                }
                for (key, value) in expected {
                    switch key.string {
                    case "status":
                        guard let status = value.int else {
                            fail(value.mark?.line, field + ".expect.status", "must be a number")
                            continue
                        }
                        testCase.expectStatus = status
                    case "service": testCase.expectService = value.string
                    case "upstreamPath": testCase.expectUpstreamPath = value.string
                    case "location": testCase.expectLocation = value.string
                    default:
                        fail(key.mark?.line, field + ".expect.\(key.string ?? "?")", "unknown expectation (status, service, upstreamPath, location)")
                    }
                }
            }
            cases.append(testCase)
        }
        return (cases, diagnostics)
    }
}
