import Foundation
import Logging
import PorticoConfig
import PorticoDiagnostics
import PorticoKube

/// Keeps one kind in the `ObjectStore` current, as client-go's reflector does: list (in pages
/// of `limit`, following `continue`), then watch from the list's resourceVersion with
/// bookmarks; a watch that ends is resumed from the last resourceVersion seen; `410 Gone`
/// (the version was compacted away) means list again; any other failure retries with capped,
/// jittered exponential backoff. The store keeps the last good objects throughout, so an API
/// outage never empties the routing table.
public struct Reflector: Sendable {
    let kind: ResourceKind
    let client: APIClient
    let store: ObjectStore
    let namespace: String?
    let logger: Logger
    var pageSize = 500
    /// Asked of the server per watch (client-go picks 5–10 minutes); the server ends the watch
    /// then and it is resumed from the last resourceVersion.
    var watchTimeoutSeconds = 300
    /// How often a kind the cluster does not serve (its CRD missing) is listed again.
    var absentRetry: Duration = .seconds(60)

    public init(kind: ResourceKind, client: APIClient, store: ObjectStore, namespace: String?, logger: Logger) {
        self.kind = kind
        self.client = client
        self.store = store
        self.namespace = kind.pinnedNamespace ?? namespace
        self.logger = logger
    }

    public func run() async {
        var backoff = Backoff()
        var resourceVersion: String?
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    resourceVersion = try await self.list()
                    self.healthy()
                }
                let started = ContinuousClock.now
                try await self.watch(from: &resourceVersion)
                // A watch the server ends at once, again and again (a misbehaving proxy in
                // front of the API), must not become a tight loop of requests.
                if ContinuousClock.now - started < .seconds(1) {
                    try? await Task.sleep(for: backoff.next())
                } else {
                    backoff.reset()
                }
            } catch APIError.status(404, let message) where self.kind.optional {
                // The CRD is not installed: nothing of this kind exists. Listed again after a
                // while (a timer, not a poll of objects: one request per interval).
                if self.store.noteAbsent(self.kind) {
                    self.logger.info("\(self.kind): not served by this cluster (\(message)); looking again every \(self.absentRetry)")
                }
                resourceVersion = nil
                try? await Task.sleep(for: self.absentRetry)
            } catch APIError.expired(let message) {
                self.logger.info("\(self.kind): watch expired (\(message)); listing again")
                resourceVersion = nil
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                let wait = backoff.next()
                if self.store.noteFailure(self.kind, "\(error)") {
                    self.logger.error("Kubernetes API unreachable (\(self.kind): \(error)); serving the last good configuration")
                } else {
                    self.logger.debug("\(self.kind): \(error); retrying in \(wait)")
                }
                try? await Task.sleep(for: wait)
            }
        }
    }

    private func healthy() {
        if let outage = self.store.noteHealthy(self.kind) {
            self.logger.notice("Kubernetes API reachable again after \(outage); resynchronised")
        }
    }

    private var selector: String {
        self.kind.fieldSelector.map { "&fieldSelector=\(Self.escape($0))" } ?? ""
    }

    /// Lists every object in pages; returns the list's resourceVersion.
    func list() async throws -> String {
        var objects: [ObjectStore.Decoded] = []
        var token: String?
        var listVersion: String?
        repeat {
            var path = "\(self.kind.collectionPath(namespace: self.namespace))?limit=\(self.pageSize)\(self.selector)"
            if let token { path += "&continue=\(Self.escape(token))" }
            let response = try await self.client.send(.GET, path)
            guard response.status == 200 else { throw APIError.from(response) }
            let payload: APIPayload
            do { payload = try APIPayload.parse(response.text) } catch { throw APIError.invalidAnswer("\(self.kind) list: \(error)") }
            for item in payload["items"]?.items ?? [] {
                if let decoded = self.decode(item) { objects.append(decoded) }
            }
            // Every page of one list is the same snapshot; the first page's version is the list's.
            listVersion = listVersion ?? payload.resourceVersion
            token = payload["metadata"]?["continue"]?.string
            if token?.isEmpty == true { token = nil }
        } while token != nil
        guard let listVersion else { throw APIError.invalidAnswer("\(self.kind) list without metadata.resourceVersion") }
        self.store.replace(self.kind, with: objects)
        self.logger.debug("\(self.kind): listed \(objects.count)", metadata: ["resourceVersion": "\(listVersion)"])
        return listVersion
    }

    /// Watches from `resourceVersion`, advancing it with every event and bookmark.
    func watch(from resourceVersion: inout String?) async throws {
        let path =
            "\(self.kind.collectionPath(namespace: self.namespace))?watch=1&allowWatchBookmarks=true"
            + "&resourceVersion=\(Self.escape(resourceVersion ?? ""))&timeoutSeconds=\(self.watchTimeoutSeconds)\(self.selector)"
        var version = resourceVersion
        defer { resourceVersion = version }
        try await self.client.stream(path) { head in
            guard head.status.code == 200 else {
                throw head.status.code == 410 ? APIError.expired("HTTP 410") : APIError.status(Int(head.status.code), "\(head.status)")
            }
            self.healthy()
        } onLine: { line in
            let payload: APIPayload
            do { payload = try APIPayload.parse(String(decoding: line, as: UTF8.self)) } catch {
                throw APIError.invalidAnswer("\(self.kind) watch event: \(error)")
            }
            guard let type = payload["type"]?.string, let object = payload["object"] else {
                throw APIError.invalidAnswer("\(self.kind) watch event without type or object")
            }
            switch type {
            case "ADDED", "MODIFIED", "DELETED":
                guard let decoded = self.decode(object) else { return }
                self.store.apply(self.kind, decoded, deleted: type == "DELETED")
                version = object.resourceVersion ?? version
            case "BOOKMARK":
                version = object.resourceVersion ?? version
            case "ERROR":
                let code = object["code"]?.int
                let message = object["message"]?.string ?? "watch error"
                throw code == 410 ? APIError.expired(message) : APIError.status(code ?? 500, message)
            default:
                throw APIError.invalidAnswer("\(self.kind) watch event of unknown type \(type)")
            }
        }
    }

    private func decode(_ item: APIPayload) -> ObjectStore.Decoded? {
        guard let name = item["metadata"]?["name"]?.string else { return nil }
        let namespace = item["metadata"]?["namespace"]?.string ?? "default"
        let key = ClusterState.ObjectKey(kind: self.kind.kind, namespace: namespace, name: name)
        let result = item.decodeObject(kind: self.kind.kind, apiVersion: self.kind.apiVersion, source: "kubernetes")
        let issue = result.issues.first { $0.severity == .error }
        var decoded = ObjectStore.Decoded(
            key: key, object: result.objects.first?.object, issue: issue,
            loadBalancer: self.kind == .ingresses ? item.loadBalancerAddresses : [])
        if self.kind.optional, let status = item["status"]?.jsonValue as? [String: Any],
            let data = try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys])
        {
            decoded.status = String(decoding: data, as: UTF8.self)
        }
        return decoded
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters stay).
    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? value
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
