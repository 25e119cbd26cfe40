import Foundation
import PorticoConfig
import PorticoRouting
import Testing

/// A reload told which files changed (inotify names them) patches the last load instead of
/// walking and rebuilding, and an endpoint-only change re-resolves backends without compiling
/// a route. Whatever path a load takes, its result must equal a whole load of the same files.
@Suite struct IncrementalLoadTests {
    let directory: URL

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-incremental-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try self.write("a.yaml", Self.service("a", ips: ["10.0.0.1"]))
        try self.write("b.yaml", Self.service("b", ips: ["10.0.1.1"]))
        try self.write("ing.yaml", Self.ingress(path: "/a"))
    }

    static func service(_ name: String, ips: [String], extra: String = "") -> String {
        let addresses = ips.map { "{ip: \($0)}" }.joined(separator: ", ")
        return """
            apiVersion: v1
            kind: Service
            metadata: {name: \(name)}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: \(name)}
            subsets: [{addresses: [\(addresses)], ports: [{port: 80}]}]
            \(extra)
            """
    }

    static func ingress(path: String) -> String {
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: app}
        spec:
          rules:
            - host: app.test
              http:
                paths:
                  - {path: "\(path)", pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
                  - {path: /b, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
        """
    }

    func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: self.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func loader() -> ConfigLoader {
        ConfigLoader(rulesDirectory: self.directory.path, certsDirectory: "/nonexistent", options: CompileOptions())
    }

    /// What a fresh loader makes of the directory as it is now.
    func wholeLoad() -> ConfigLoader.Result { self.loader().load() }

    func endpoints(_ result: ConfigLoader.Result, _ service: String) -> [String] {
        result.snapshot.backends.first { $0.ref.service == service }?.endpoints.map(\.address) ?? []
    }

    @Test func anEndpointChangeNamedByInotifyResolvesBackendsOnly() throws {
        let loader = self.loader()
        let first = loader.load()
        #expect(!first.backendsOnly)
        try self.write("a.yaml", Self.service("a", ips: ["10.0.0.2", "10.0.0.3"]))
        let result = loader.load(changed: [self.path("a.yaml")])
        #expect(loader.decodeCache.lastWasPatch)
        #expect(loader.decodeCache.decodedLastTime == 1)
        #expect(result.backendsOnly)
        #expect(self.endpoints(result, "a") == ["10.0.0.2", "10.0.0.3"])
        #expect(self.endpoints(result, "b") == ["10.0.1.1"])
        #expect(result.snapshot.routes == first.snapshot.routes)
        let whole = self.wholeLoad()
        #expect(result.snapshot == whole.snapshot)
        #expect(result.diagnostics == whole.diagnostics)
    }

    @Test func aBackendLosingItsEndpointsGetsItsWarningAndLosesItWhenBack() throws {
        let loader = self.loader()
        _ = loader.load()
        try self.write("b.yaml", Self.service("b", ips: []))
        let empty = loader.load(changed: [self.path("b.yaml")])
        #expect(empty.backendsOnly)
        #expect(empty.diagnostics.contains { $0.severity == .warning && $0.message.contains("Service default/b has no ready endpoints") })
        #expect(empty.diagnostics == self.wholeLoad().diagnostics)
        try self.write("b.yaml", Self.service("b", ips: ["10.0.1.9"]))
        let back = loader.load(changed: [self.path("b.yaml")])
        #expect(back.backendsOnly)
        #expect(!back.diagnostics.contains { $0.message.contains("no ready endpoints") })
        #expect(self.endpoints(back, "b") == ["10.0.1.9"])
    }

    @Test func anIngressChangeIsPatchedButCompilesRoutes() throws {
        let loader = self.loader()
        _ = loader.load()
        try self.write("ing.yaml", Self.ingress(path: "/z"))
        let result = loader.load(changed: [self.path("ing.yaml")])
        #expect(loader.decodeCache.lastWasPatch)
        #expect(!result.backendsOnly)
        #expect(result.snapshot.routes.resolve(host: "app.test", path: "/z/1") != nil)
        #expect(result.snapshot.routes.resolve(host: "app.test", path: "/a/1") == nil)
        #expect(result.snapshot == self.wholeLoad().snapshot)
    }

    @Test func aChangeThatAddsOrRemovesAnObjectLoadsWhole() throws {
        let loader = self.loader()
        _ = loader.load()
        let extra = "---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\nspec: {ports: [{port: 80}]}"
        try self.write("a.yaml", Self.service("a", ips: ["10.0.0.1"], extra: extra))
        let added = loader.load(changed: [self.path("a.yaml")])
        #expect(!loader.decodeCache.lastWasPatch)
        #expect(added.state.services.contains { $0.metadata.name == "c" })
        #expect(added.snapshot == self.wholeLoad().snapshot)

        try FileManager.default.removeItem(atPath: self.path("b.yaml"))
        let removed = loader.load(changed: [self.path("b.yaml")])
        #expect(!loader.decodeCache.lastWasPatch)
        #expect(removed.diagnostics.contains { $0.message.contains("Service default/b not found") })
        #expect(removed.diagnostics == self.wholeLoad().diagnostics)
    }

    @Test func filesThatHoldNoObjectComeAndGoWithinAPatch() throws {
        let loader = self.loader()
        _ = loader.load()
        try self.write("notes.txt", "not a manifest")
        try self.write("empty.yaml", "# nothing yet\n")
        let result = loader.load(changed: [self.path("notes.txt"), self.path("empty.yaml"), self.path("gone.yaml.tmp")])
        #expect(loader.decodeCache.lastWasPatch)
        #expect(result.snapshot == self.wholeLoad().snapshot)
        // The empty file is now known: filling it adds objects, which loads whole.
        try self.write("empty.yaml", Self.service("d", ips: ["10.0.3.1"]))
        let filled = loader.load(changed: [self.path("empty.yaml")])
        #expect(!loader.decodeCache.lastWasPatch)
        #expect(filled.state.services.contains { $0.metadata.name == "d" })
    }

    @Test func aFileWithAnIssueKeepsItInThePatchedDiagnostics() throws {
        let loader = self.loader()
        let unknownKind = "---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota}\n"
        try self.write("a.yaml", Self.service("a", ips: ["10.0.0.1"], extra: unknownKind))
        let first = loader.load()
        #expect(first.diagnostics.contains { $0.file?.hasSuffix("a.yaml") == true })
        try self.write("a.yaml", Self.service("a", ips: ["10.0.0.4"], extra: unknownKind))
        let patched = loader.load(changed: [self.path("a.yaml")])
        #expect(loader.decodeCache.lastWasPatch)
        #expect(patched.diagnostics == self.wholeLoad().diagnostics)
        #expect(patched.diagnostics.count == first.diagnostics.count)
        #expect(self.endpoints(patched, "a") == ["10.0.0.4"])
    }
}
