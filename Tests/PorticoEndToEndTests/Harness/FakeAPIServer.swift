import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PorticoTLS

/// An in-test Kubernetes API server speaking the list/watch protocol as kube-apiserver does:
/// JSON lists whose items carry no kind/apiVersion, `metadata.resourceVersion` and `continue`
/// paging, chunked watch streams of `{"type","object"}` lines, BOOKMARK events, `ERROR` events
/// with a 410 Status for compacted versions, `fieldSelector` on Secrets and by `metadata.name`, the `status`
/// subresource with merge patches, Leases with optimistic concurrency (409 on a stale
/// resourceVersion), bearer tokens (401 otherwise). Tests change objects, drop watches, compact
/// history and take the server "down" to see how the real provider copes.
final class FakeAPIServer: @unchecked Sendable {
    // @unchecked: every field below is guarded by `lock`.
    private let lock = NSLock()
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: (any Channel)?
    private(set) var port = 0
    private var resourceVersion = 1000
    /// resource → "namespace/name" → object (with kind and apiVersion).
    private var objects: [String: [String: [String: Any]]] = [:]
    private var history: [(version: Int, resource: String, type: String, object: [String: Any])] = []
    /// Watches from versions below this get 410 Gone.
    private var oldestWatchable = 0
    private var watches: [ObjectIdentifier: Watch] = [:]
    private var down = false
    /// Ends every watch right after its backlog (a proxy in front of the API that cuts streams).
    private var cutWatches = false
    /// "TOKEN METHOD path?query" of every request.
    private var requestLog: [String] = []
    /// Resources answered 404, as when their CRD is not installed.
    private var absentResources: Set<String> = []
    let tokens: Set<String>

    struct Watch {
        var channel: any Channel
        var resource: String
        var namespace: String?
        var fieldSelector: String?
    }

    init(tokens: Set<String> = ["test-token"], tls: CertificateStore? = nil) async throws {
        self.tokens = tokens
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(TLSHandler(store: tls, logger: Logger(label: "fake-api"))) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(APIHandler(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    func stop() async {
        try? await self.channel?.close()
        try? await self.group.shutdownGracefully()
    }

    /// A kubeconfig pointing at this server.
    func kubeconfig(token: String = "test-token", scheme: String = "http", caPEM: String? = nil) throws -> URL {
        let directory = try TemporaryDirectory.make()
        let url = directory.appendingPathComponent("kubeconfig")
        var cluster = "server: \(scheme)://127.0.0.1:\(self.port)"
        if let caPEM { cluster += "\n    certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())" }
        try """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: fake
              cluster:
                \(cluster)
            users:
            - name: portico
              user:
                token: \(token)
            contexts:
            - name: test
              context: {cluster: fake, user: portico, namespace: portico-system}
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    // MARK: - Changing the cluster

    /// Creates or replaces an object (ADDED or MODIFIED).
    @discardableResult
    func apply(_ resource: String, _ object: [String: Any]) -> Int {
        self.lock.withLock {
            self.store(resource, object)
            return self.resourceVersion
        }
    }

    /// `apply` with the lock held; returns the stored object.
    @discardableResult
    private func store(_ resource: String, _ object: [String: Any]) -> [String: Any] {
        var object = object
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        let key = Self.key(metadata)
        let existed = self.objects[resource]?[key] != nil
        self.resourceVersion += 1
        metadata["resourceVersion"] = String(self.resourceVersion)
        if metadata["creationTimestamp"] == nil { metadata["creationTimestamp"] = "2026-11-26T10:00:00Z" }
        object["metadata"] = metadata
        self.objects[resource, default: [:]][key] = object
        self.record(resource, existed ? "MODIFIED" : "ADDED", object)
        return object
    }

    func delete(_ resource: String, namespace: String?, name: String) {
        self.lock.withLock {
            let key = "\(namespace ?? "")/\(name)"
            guard var object = self.objects[resource]?.removeValue(forKey: key) else { return }
            self.resourceVersion += 1
            var metadata = object["metadata"] as? [String: Any] ?? [:]
            metadata["resourceVersion"] = String(self.resourceVersion)
            object["metadata"] = metadata
            self.record(resource, "DELETED", object)
        }
    }

    func object(_ resource: String, namespace: String?, name: String) -> [String: Any]? {
        self.lock.withLock { self.objects[resource]?["\(namespace ?? "")/\(name)"] }
    }

    /// Sends a BOOKMARK at the current version to every open watch, then closes each watch
    /// once its bookmark is written, so the client has read the bookmark before the watch
    /// ends (TCP keeps the order), whatever the load; returns the version.
    @discardableResult
    func bookmarkAndDropWatches() -> Int {
        self.lock.withLock {
            for watch in self.watches.values {
                let (kind, apiVersion) = Self.kind(of: watch.resource)
                let event: [String: Any] = [
                    "type": "BOOKMARK",
                    "object": ["kind": kind, "apiVersion": apiVersion, "metadata": ["resourceVersion": String(self.resourceVersion)]],
                ]
                let channel = watch.channel
                Self.send(event, on: channel).whenComplete { _ in channel.close(promise: nil) }
            }
            self.watches.removeAll()
            return self.resourceVersion
        }
    }

    /// Forgets history up to `version`, now by default (etcd compaction): a watch resumed
    /// from an older version gets 410 Gone. Compacting at a fixed version keeps writes made
    /// meanwhile (the leader's Lease renewals) from expiring a version the test relies on.
    func compact(upTo version: Int? = nil) {
        self.lock.withLock {
            let version = version ?? self.resourceVersion
            self.oldestWatchable = version
            self.history.removeAll { $0.version <= version }
        }
    }

    /// Closes every open watch connection (an apiserver restart, a load balancer reset).
    func dropWatches() {
        let channels = self.lock.withLock { () -> [any Channel] in
            defer { self.watches.removeAll() }
            return self.watches.values.map(\.channel)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// While down, every connection is closed as soon as it is accepted.
    /// Answers these resources 404 (their CRDs not installed), or serves them again.
    func setAbsent(_ resources: Set<String>) {
        self.lock.withLock { self.absentResources = resources }
    }

    func setDown(_ down: Bool) {
        self.lock.withLock { self.down = down }
        if down { self.dropWatches() }
    }

    func setCutWatches(_ cut: Bool) {
        self.lock.withLock { self.cutWatches = cut }
        if cut { self.dropWatches() }
    }

    var requests: [String] { self.lock.withLock { self.requestLog } }
    var openWatches: Int { self.lock.withLock { self.watches.count } }

    // MARK: - Serving

    fileprivate var isDown: Bool { self.lock.withLock { self.down } }

    fileprivate func handle(_ head: HTTPRequestHead, body: [UInt8], channel: any Channel) -> (HTTPResponseStatus, [String: Any])? {
        let token = head.headers["Authorization"].first.map { String($0.dropFirst("Bearer ".count)) } ?? "-"
        self.lock.withLock { self.requestLog.append("\(token) \(head.method) \(head.uri)") }
        guard self.tokens.contains(token) else { return (.unauthorized, Self.status(401, "Unauthorized", "Unauthorized")) }
        let components = URLComponents(string: head.uri)
        let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard let route = Route(path: components?.path ?? head.uri), !self.lock.withLock({ self.absentResources.contains(route.resource) }) else {
            return (.notFound, Self.status(404, "NotFound", "the server could not find the requested resource"))
        }
        return self.lock.withLock { () -> (HTTPResponseStatus, [String: Any])? in
            switch (head.method, route.name, route.subresource) {
            case (.GET, nil, _):
                if query["watch"] == "1" || query["watch"] == "true" {
                    self.startWatch(route, query: query, channel: channel)
                    return nil
                }
                return (.ok, self.list(route, query: query))
            case (.GET, let name?, nil):
                guard let object = self.objects[route.resource]?["\(route.namespace ?? "")/\(name)"] else {
                    return (.notFound, Self.status(404, "NotFound", "\(route.resource) \"\(name)\" not found"))
                }
                return (.ok, object)
            case (.POST, nil, _):
                guard var object = Self.json(body) else { return (.badRequest, Self.status(400, "BadRequest", "invalid JSON")) }
                var metadata = object["metadata"] as? [String: Any] ?? [:]
                metadata["namespace"] = route.namespace
                object["metadata"] = metadata
                if self.objects[route.resource]?[Self.key(metadata)] != nil {
                    return (.conflict, Self.status(409, "AlreadyExists", "already exists"))
                }
                return (.created, self.store(route.resource, object))
            case (.PUT, let name?, nil):
                guard var object = Self.json(body) else { return (.badRequest, Self.status(400, "BadRequest", "invalid JSON")) }
                let key = "\(route.namespace ?? "")/\(name)"
                guard let current = self.objects[route.resource]?[key] else {
                    return (.notFound, Self.status(404, "NotFound", "not found"))
                }
                let currentVersion = (current["metadata"] as? [String: Any])?["resourceVersion"] as? String
                let sentVersion = (object["metadata"] as? [String: Any])?["resourceVersion"] as? String
                guard sentVersion == currentVersion else {
                    return (.conflict, Self.status(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again"))
                }
                var metadata = object["metadata"] as? [String: Any] ?? [:]
                metadata["namespace"] = route.namespace
                object["metadata"] = metadata
                return (.ok, self.store(route.resource, object))
            case (.PATCH, let name?, "status"):
                let key = "\(route.namespace ?? "")/\(name)"
                guard var current = self.objects[route.resource]?[key] else {
                    return (.notFound, Self.status(404, "NotFound", "not found"))
                }
                guard head.headers["Content-Type"].first == "application/merge-patch+json", let patch = Self.json(body),
                    let status = patch["status"]
                else { return (.unsupportedMediaType, Self.status(415, "UnsupportedMediaType", "merge patch of status expected")) }
                current["status"] = status
                return (.ok, self.store(route.resource, current))
            default:
                return (.methodNotAllowed, Self.status(405, "MethodNotAllowed", "not supported by the fake"))
            }
        }
    }

    private func list(_ route: Route, query: [String: String]) -> [String: Any] {
        let all = (self.objects[route.resource] ?? [:]).filter { Self.matches($0.value, namespace: route.namespace, selector: query["fieldSelector"]) }
        let keys = all.keys.sorted()
        let limit = Int(query["limit"] ?? "") ?? Int.max
        // continue token: "offset/listVersion", so every page reports the first page's version.
        let token = query["continue"]?.split(separator: "/").compactMap { Int($0) }
        let offset = token?.first ?? 0
        let listVersion = token?.last ?? self.resourceVersion
        let page = keys.dropFirst(offset).prefix(limit)
        var metadata: [String: Any] = ["resourceVersion": String(listVersion)]
        if offset + page.count < keys.count { metadata["continue"] = "\(offset + page.count)/\(listVersion)" }
        let (kind, apiVersion) = Self.kind(of: route.resource)
        let items: [[String: Any]] = page.map { key in
            var item = all[key]!
            item["kind"] = nil  // typed lists leave them out
            item["apiVersion"] = nil
            return item
        }
        return ["kind": "\(kind)List", "apiVersion": apiVersion, "metadata": metadata, "items": items]
    }

    private func startWatch(_ route: Route, query: [String: String], channel: any Channel) {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Type": "application/json", "Transfer-Encoding": "chunked"])
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        let from = Int(query["resourceVersion"] ?? "") ?? 0
        if from < self.oldestWatchable {
            Self.send(
                ["type": "ERROR", "object": Self.status(410, "Expired", "too old resource version: \(from) (\(self.oldestWatchable))")],
                on: channel)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            return
        }
        let watch = Watch(channel: channel, resource: route.resource, namespace: route.namespace, fieldSelector: query["fieldSelector"])
        for event in self.history where event.version > from && event.resource == route.resource
            && Self.matches(event.object, namespace: watch.namespace, selector: watch.fieldSelector)
        {
            Self.send(["type": event.type, "object": event.object], on: channel)
        }
        channel.flush()
        if self.cutWatches {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            return
        }
        self.watches[ObjectIdentifier(channel)] = watch
        channel.closeFuture.whenComplete { _ in
            self.lock.withLock { _ = self.watches.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        if let seconds = Int(query["timeoutSeconds"] ?? "") {
            channel.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
        }
    }

    private func record(_ resource: String, _ type: String, _ object: [String: Any]) {
        self.history.append((self.resourceVersion, resource, type, object))
        for watch in self.watches.values where watch.resource == resource
            && Self.matches(object, namespace: watch.namespace, selector: watch.fieldSelector)
        {
            Self.send(["type": type, "object": object], on: watch.channel)
        }
    }

    // MARK: - Helpers

    @discardableResult
    private static func send(_ event: [String: Any], on channel: any Channel) -> EventLoopFuture<Void> {
        var data = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
        data.append(UInt8(ascii: "\n"))
        return channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: data))))
    }

    static func key(_ metadata: [String: Any]) -> String {
        "\(metadata["namespace"] as? String ?? "")/\(metadata["name"] as? String ?? "")"
    }

    static func matches(_ object: [String: Any], namespace: String?, selector: String?) -> Bool {
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        if let namespace, metadata["namespace"] as? String != namespace { return false }
        if let selector, selector.hasPrefix("type=") {
            return object["type"] as? String == String(selector.dropFirst("type=".count))
        }
        if let selector, selector.hasPrefix("metadata.name=") {
            return metadata["name"] as? String == String(selector.dropFirst("metadata.name=".count))
        }
        if let selector, selector.hasPrefix("type!=") {
            return object["type"] as? String != String(selector.dropFirst("type!=".count))
        }
        return true
    }

    static func kind(of resource: String) -> (String, String) {
        switch resource {
        case "ingresses": ("Ingress", "networking.k8s.io/v1")
        case "ingressclasses": ("IngressClass", "networking.k8s.io/v1")
        case "services": ("Service", "v1")
        case "secrets": ("Secret", "v1")
        case "endpointslices": ("EndpointSlice", "discovery.k8s.io/v1")
        case "leases": ("Lease", "coordination.k8s.io/v1")
        case "configmaps": ("ConfigMap", "v1")
        case "namespaces": ("Namespace", "v1")
        case "gatewayclasses": ("GatewayClass", "gateway.networking.k8s.io/v1")
        case "gateways": ("Gateway", "gateway.networking.k8s.io/v1")
        case "httproutes": ("HTTPRoute", "gateway.networking.k8s.io/v1")
        case "grpcroutes": ("GRPCRoute", "gateway.networking.k8s.io/v1")
        case "referencegrants": ("ReferenceGrant", "gateway.networking.k8s.io/v1beta1")
        default: ("Unknown", "v1")
        }
    }

    static func status(_ code: Int, _ reason: String, _ message: String) -> [String: Any] {
        ["kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure", "message": message, "reason": reason, "code": code]
    }

    static func json(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// `/api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]]` or `/apis/GROUP/VERSION/...`.
    struct Route {
        var namespace: String?
        var resource: String
        var name: String?
        var subresource: String?

        init?(path: String) {
            var parts = path.split(separator: "/").map(String.init)
            if parts.first == "api", parts.count >= 2 { parts.removeFirst(2) } else if parts.first == "apis", parts.count >= 3 {
                parts.removeFirst(3)
            } else { return nil }
            if parts.first == "namespaces", parts.count >= 3 {
                self.namespace = parts[1]
                parts.removeFirst(2)
            }
            guard let resource = parts.first else { return nil }
            self.resource = resource
            self.name = parts.count > 1 ? parts[1] : nil
            self.subresource = parts.count > 2 ? parts[2] : nil
        }
    }
}

/// One connection to the fake API server.
private final class APIHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: FakeAPIServer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(server: FakeAPIServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        if self.server.isDown { context.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
        case .body(let buffer):
            self.body += buffer.readableBytesView
        case .end:
            guard let head = self.head else { return }
            if self.server.isDown {
                context.close(promise: nil)
                return
            }
            guard let (status, object) = self.server.handle(head, body: self.body, channel: context.channel) else { return }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            let headers: HTTPHeaders = ["Content-Type": "application/json", "Content-Length": String(data.count)]
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: data)))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
