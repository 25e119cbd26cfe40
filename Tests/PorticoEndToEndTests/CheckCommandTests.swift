import Foundation
import Testing

/// `portico check` and `portico explain`, run as users run them.
@Suite struct CheckCommandTests {
    struct Run {
        var status: Int32
        var output: String
    }

    static func portico(_ arguments: [String]) throws -> Run {
        try Self.run(PorticoProcess.binary, arguments)
    }

    /// Runs a program to its end in the repository root; its output and error output together.
    static func run(_ executable: URL, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = PorticoProcess.repositoryRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: output)
    }

    @Test func theProjectsOwnCasesPass() throws {
        let run = try Self.portico(["check", "--rules", "ingress-rules", "--cases", "Tests/rewrite-cases.yaml"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasSuffix("14 passed, 0 failed\n"))
    }

    @Test func aWrongCaseFailsWithAClearLine() throws {
        let file = try TemporaryDirectory.make().appendingPathComponent("cases.yaml")
        try """
            - request: GET https://192-168-100-100.sslip.io/one/aaa
              expect: {upstreamPath: /one/aaa}
            - request: GET https://192-168-100-100.sslip.io/one/aaa
              expect: {upstreamPath: /aaa, status: 404}
            - request: GET https://192-168-100-100.sslip.io/one/ok
              expect: {upstreamPath: /ok}
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try Self.portico(["check", "--rules", "ingress-rules", "--cases", file.path])
        #expect(run.status == 1)
        #expect(run.output.contains("FAIL \(file.path):1: GET https://192-168-100-100.sslip.io/one/aaa: expected upstreamPath /one/aaa, got /aaa"))
        #expect(run.output.contains(":3: GET https://192-168-100-100.sslip.io/one/aaa: expected status 404, got none: proxied to default/one-svc:80"))
        #expect(run.output.hasSuffix("1 passed, 2 failed\n"))
    }

    @Test func aBadRegexIsNamedAndTheRestStillCompiles() throws {
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: 9, ready: ["127.0.0.1"])
                + """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: bad
                  annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}
                spec: {rules: [{host: bad.test, http: {paths: [{path: "/x(", pathType: ImplementationSpecific, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
                ---

                """ + RulesDirectory.ingress("good", host: "good.test", paths: [("/", "Prefix", "svc")]),
        ])
        let check = try Self.portico(["check", "--rules", rules.url.path])
        #expect(check.status == 1)
        #expect(check.output.contains("error: Ingress default/bad: spec.rules[0].http.paths[0].path: regex \"/x(\" does not compile at offset 3"))
        let explain = try Self.portico(["explain", "--rules", rules.url.path, "http://good.test/a"])
        #expect(explain.output.contains("proxy to default/svc:80"))
    }

    @Test func explainShowsCandidatesCapturesAndTheRewrite() throws {
        let run = try Self.portico(["explain", "--rules", "ingress-rules", "https://192-168-100-100.sslip.io/one/aaa/bbb?q=1"])
        #expect(run.status == 0)
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("1. /two(/|$)(.*)") && $0.hasSuffix("no match") })
        #expect(lines.contains { $0.contains("2. /one(/|$)(.*)") && $0.contains("MATCH  captures: $1=\"/\" $2=\"aaa/bbb\"") })
        #expect(run.output.contains("rewrite-target /$2 → upstream path /aaa/bbb?q=1"))
        #expect(run.output.contains("endpoints (round-robin): 127.0.1.1:9080, 127.0.1.2:9080, 127.0.1.3:9080"))
    }
}

/// `portico check --report` on Ingresses from ingress-nginx's own documentation.
@Suite struct MigrationReportTests {
    @Test func theDocsExamplesAreReportedOneByOne() throws {
        let run = try CheckCommandTests.portico(
            ["check", "--rules", "Tests/MigrationCorpus/ingress-nginx-docs", "--ingress-class", "nginx", "--report", "--json"])
        #expect(run.status == 0, "\(run.output)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let entries = try #require(document["ingresses"] as? [[String: Any]])
        func verdict(_ name: String) -> String? { entries.first { $0["ingress"] as? String == name }?["verdict"] as? String }
        func reasons(_ name: String) -> [String] { entries.first { $0["ingress"] as? String == name }?["reasons"] as? [String] ?? [] }
        #expect(verdict("default/test-ingress-3") == "served unchanged")
        // A snippet with a variable cannot be translated: the Ingress is left out, the
        // directive named.
        #expect(verdict("default/nginx-configuration-snippet") == "left out")
        #expect(reasons("default/nginx-configuration-snippet").contains { $0.contains("more_set_headers: variables ($req_id)") })
        // An Ingress whose host is a placeholder is left out, with why.
        #expect(verdict("docker-registry/docker-registry") == "left out")
        #expect(reasons("docker-registry/docker-registry").contains { $0.contains("is not a valid DNS name") })
        let summary = try #require(document["summary"] as? [String: Int])
        #expect(summary.values.reduce(0, +) == entries.count)

        let table = try CheckCommandTests.portico(["check", "--rules", "Tests/MigrationCorpus/ingress-nginx-docs", "--report"])
        #expect(table.output.contains("of another class not counted"))  // without --ingress-class nginx, not ours
    }
}
