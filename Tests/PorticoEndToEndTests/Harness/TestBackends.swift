import Foundation
import NIOCore
import NIOPosix
import PorticoDemoBackend

/// Real HTTP backends on loopback addresses, each reporting what it received.
final class TestBackends {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private(set) var channels: [any Channel] = []
    let statistics = DemoStatistics()
    let port: Int

    /// Starts one backend per address, all on one free port (or `port`).
    init(addresses: [String], page: String, port: Int? = nil) async throws {
        self.port = try port ?? FreePort.next()
        let endpoints = addresses.map { DemoEndpoint(host: $0, port: self.port, page: page) }
        let started = await DemoBackends.start(endpoints, group: self.group, statistics: self.statistics)
        self.channels = started.channels
        if let failure = started.failures.first { throw HarnessError("backend \(failure.0.host) failed: \(failure.1)") }
    }

    func stop() async {
        for channel in self.channels { try? await channel.close() }
        try? await self.group.shutdownGracefully()
    }
}

/// Writes manifests for a test into a fresh directory.
struct RulesDirectory {
    let url: URL

    init(_ files: [String: String]) throws {
        self.url = try TemporaryDirectory.make()
        for (name, text) in files {
            try text.write(to: self.url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }

    /// A Service plus Endpoints listing `ready` and `notReady` addresses on `port`.
    static func service(_ name: String, port: Int, ready: [String], notReady: [String] = [], clientIPAffinity: Bool = false) -> String {
        let readyList = ready.map { "{ip: \($0)}" }.joined(separator: ", ")
        let notReadyList = notReady.map { "{ip: \($0)}" }.joined(separator: ", ")
        return """
            apiVersion: v1
            kind: Service
            metadata: {name: \(name)}
            spec: {ports: [{port: 80, targetPort: \(port)}]\(clientIPAffinity ? ", sessionAffinity: ClientIP" : "")}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: \(name)}
            subsets: [{addresses: [\(readyList)], notReadyAddresses: [\(notReadyList)], ports: [{port: \(port)}]}]
            ---

            """
    }

    /// An Ingress with one rule; `paths` are (path, pathType, service).
    static func ingress(_ name: String, host: String?, paths: [(String, String, String)], annotations: [String: String] = [:]) -> String {
        let items = paths.map { path, type, service in
            "{path: \"\(path)\", pathType: \(type), backend: {service: {name: \(service), port: {number: 80}}}}"
        }.joined(separator: ", ")
        let hostLine = host.map { "host: \"\($0)\", " } ?? ""
        return """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: \(name), annotations: {\(annotations.map { "nginx.ingress.kubernetes.io/\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}}
            spec: {rules: [{\(hostLine)http: {paths: [\(items)]}}]}
            ---

            """
    }
}
