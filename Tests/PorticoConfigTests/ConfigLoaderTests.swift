import Foundation
import PorticoConfig
import PorticoRouting
import Testing

/// Reloads keep the last good version of what a change broke, and reuse compiled regexes.
@Suite struct ConfigLoaderTests {
    let directory: URL

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try Self.service.write(to: self.directory.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
    }

    static let service = """
        apiVersion: v1
        kind: Service
        metadata: {name: svc}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: svc}
        subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]
        """

    static func ingress(path: String) -> String {
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: app, annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}}
        spec: {rules: [{host: app.test, http: {paths: [{path: "\(path)", pathType: ImplementationSpecific, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
        """
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: self.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func loader() -> ConfigLoader {
        ConfigLoader(rulesDirectory: self.directory.path, certsDirectory: "/nonexistent", options: CompileOptions())
    }

    @Test func brokenYAMLKeepsTheFilesLastGoodObjects() throws {
        let loader = self.loader()
        try self.write("ing.yaml", Self.ingress(path: "/v1/(.*)"))
        #expect(loader.load().snapshot.routes.resolve(host: "app.test", path: "/v1/x") != nil)
        try self.write("ing.yaml", Self.ingress(path: "/v2/(.*)") + "\n  broken: [yaml")
        let result = loader.load()
        #expect(result.keptPrevious == ["Ingress default/app"])
        #expect(result.diagnostics.contains { $0.severity == .error && $0.message.contains("invalid YAML") })
        #expect(result.snapshot.routes.resolve(host: "app.test", path: "/v1/x") != nil)  // still the old version
    }

    @Test func anIngressThatNoLongerCompilesKeepsItsPreviousVersion() throws {
        let loader = self.loader()
        try self.write("ing.yaml", Self.ingress(path: "/v1/(.*)"))
        _ = loader.load()
        try self.write("ing.yaml", Self.ingress(path: "/v2/(.*"))  // unbalanced parenthesis
        let result = loader.load()
        #expect(result.keptPrevious == ["Ingress default/app"])
        #expect(result.diagnostics.contains { $0.severity == .error && $0.message.contains("does not compile") })
        #expect(result.snapshot.routes.resolve(host: "app.test", path: "/v1/x") != nil)
        // Fixed: the new version takes over.
        try self.write("ing.yaml", Self.ingress(path: "/v2/(.*)"))
        let fixed = loader.load()
        #expect(fixed.keptPrevious.isEmpty)
        #expect(fixed.snapshot.routes.resolve(host: "app.test", path: "/v2/x") != nil)
        #expect(fixed.snapshot.routes.resolve(host: "app.test", path: "/v1/x") == nil)
    }

    @Test func onlyChangedFilesAreDecodedAgain() throws {
        let loader = self.loader()
        try self.write("ing.yaml", Self.ingress(path: "/v1/(.*)"))
        _ = loader.load()
        #expect(loader.decodeCache.decodedLastTime == 2)
        try self.write("svc.yaml", Self.service.replacingOccurrences(of: "10.0.0.1", with: "10.0.0.3"))
        let result = loader.load()
        #expect(loader.decodeCache.decodedLastTime == 1)  // svc.yaml only
        #expect(result.snapshot.backends.first?.endpoints.map(\.address) == ["10.0.0.3"])
    }

    @Test func endpointChangesAreSeenWithoutRecompilingRegexes() throws {
        let loader = self.loader()
        try self.write("ing.yaml", Self.ingress(path: "/v1/(.*)"))
        let before = loader.load().snapshot
        try self.write("svc.yaml", Self.service.replacingOccurrences(of: "10.0.0.1", with: "10.0.0.2"))
        let after = loader.load().snapshot
        let regexBefore = try #require(before.routes.resolve(host: "app.test", path: "/v1/x"))
        let regexAfter = try #require(after.routes.resolve(host: "app.test", path: "/v1/x"))
        guard case .regex(let old) = regexBefore.match, case .regex(let new) = regexAfter.match else {
            Issue.record("expected regex routes")
            return
        }
        #expect(old.regex === new.regex)  // the same compiled PCRE2 code
        #expect(after.backends[regexAfter.backend].endpoints.map(\.address) == ["10.0.0.2"])
    }
}
