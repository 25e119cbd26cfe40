import Foundation
import PorticoKubernetes
import Testing

/// `portico serve --kubeconfig` against an in-test API server: every watched change reaches the
/// data plane, and the data plane keeps serving through expiry, dropped watches and outages.
@Suite(.serialized) struct KubernetesProviderTests {
    /// A fake API server with one Service ("web") behind two backends, and Portico on it.
    struct Cluster: @unchecked Sendable {
        let api: FakeAPIServer
        let backends: TestBackends
        let portico: PorticoProcess
        let curl: Curl
        let healthPort: Int

        static func start(extraArguments: [String] = [], seed: (FakeAPIServer, Int) -> Void = { _, _ in }) async throws -> Cluster {
            let api = try await FakeAPIServer()
            let backends = try await TestBackends(addresses: ["127.0.60.1", "127.0.60.2"], page: "web")
            api.apply("ingressclasses", KubeObjects.ingressClass("portico"))
            api.apply("services", KubeObjects.service("web", targetPort: backends.port))
            api.apply("endpointslices", KubeObjects.endpointSlice("web", port: backends.port, ready: ["127.0.60.1"]))
            api.apply("ingresses", KubeObjects.ingress("web", host: "web.test", paths: [("/", "web")]))
            seed(api, backends.port)
            let (portico, healthPort) = try Self.replica(of: api, extraArguments: extraArguments)
            return Cluster(api: api, backends: backends, portico: portico, curl: Curl(port: portico.port, httpsPort: portico.httpsPort), healthPort: healthPort)
        }

        /// One more `portico serve --kubeconfig` on the same API server.
        static func replica(of api: FakeAPIServer, token: String = "test-token", extraArguments: [String] = []) throws -> (PorticoProcess, Int) {
            let healthPort = try FreePort.next()
            let empty = try RulesDirectory([:])
            let portico = try PorticoProcess(
                rules: empty.url,
                extraArguments: ["--kubeconfig", try api.kubeconfig(token: token).path, "--health-port", String(healthPort)] + extraArguments,
                certs: empty.url)
            return (portico, healthPort)
        }

        func stop() async {
            self.portico.terminate()
            await self.backends.stop()
            await self.api.stop()
        }

        func endpoint(_ host: String, _ path: String = "/") -> String? {
            let response = try? self.curl.get(host, path)
            return response?.status == 200 ? response?.report["endpoint"] : response.map { "status \($0.status)" }
        }

        func readyz() -> (status: Int, body: String)? {
            guard let response = try? Curl.run(["http://127.0.0.1:\(self.healthPort)/readyz"]) else { return nil }
            return (response.status, response.body)
        }
    }

    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        LiveReloadTests.eventually(seconds, condition)
    }

    @Test func initialSyncServesAndEveryKindFollowsChanges() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        let port = cluster.backends.port
        // Ready only after the first full state is applied; the first request is already routed.
        #expect(cluster.readyz()?.status == 200)
        #expect(cluster.endpoint("web.test")?.hasPrefix("127.0.60.1:") == true)
        #expect((try? Curl.run(["http://127.0.0.1:\(cluster.healthPort)/healthz"]))?.status == 200)

        // EndpointSlice: a second ready endpoint joins, the first leaves.
        cluster.api.apply("endpointslices", KubeObjects.endpointSlice("web", port: port, ready: ["127.0.60.2"], notReady: ["127.0.60.1"]))
        #expect(Self.eventually(5) { cluster.endpoint("web.test")?.hasPrefix("127.0.60.2:") == true })
        for _ in 0..<4 { #expect(cluster.endpoint("web.test")?.hasPrefix("127.0.60.2:") == true) }
        // Only an EndpointSlice changed: no route compiled, only that Service's backends.
        #expect(Self.eventually(2) { cluster.portico.log.contains("compiled=backends only") })

        // Ingress added, modified, deleted.
        cluster.api.apply("ingresses", KubeObjects.ingress("api", host: "api.test", paths: [("/v1", "web")]))
        #expect(Self.eventually(5) { cluster.endpoint("api.test", "/v1/x")?.hasPrefix("127.0.60.2:") == true })
        cluster.api.apply("ingresses", KubeObjects.ingress("api", host: "api.test", paths: [("/v2", "web")]))
        #expect(Self.eventually(5) { cluster.endpoint("api.test", "/v1/x") == "status 404" })
        #expect(cluster.endpoint("api.test", "/v2/x")?.hasPrefix("127.0.60.2:") == true)
        cluster.api.delete("ingresses", namespace: "default", name: "api")
        #expect(Self.eventually(5) { cluster.endpoint("api.test", "/v2/x") == "status 404" })

        // Service: its port now targets a port nothing listens on → 502; back → 200.
        cluster.api.apply("services", KubeObjects.service("web", targetPort: port))
        cluster.api.delete("services", namespace: "default", name: "web")
        #expect(Self.eventually(5) { cluster.endpoint("web.test") == "status 503" })
        cluster.api.apply("services", KubeObjects.service("web", targetPort: port))
        #expect(Self.eventually(5) { cluster.endpoint("web.test")?.hasPrefix("127.0.60.2:") == true })

        // IngressClass: handing our class to another controller drops the Ingress; back again.
        cluster.api.apply("ingressclasses", KubeObjects.ingressClass("portico", controller: "k8s.io/ingress-nginx"))
        #expect(Self.eventually(5) { cluster.endpoint("web.test") == "status 404" })
        cluster.api.apply("ingressclasses", KubeObjects.ingressClass("portico"))
        #expect(Self.eventually(5) { cluster.endpoint("web.test")?.hasPrefix("127.0.60.2:") == true })

        // Secrets: all but Helm's release records are listed and watched (fieldSelector).
        #expect(cluster.api.requests.contains { $0.contains("/api/v1/secrets?") && $0.contains("fieldSelector=type%21%3Dhelm.sh%2Frelease.v1") })
        #expect(cluster.api.requests.contains { $0.contains("watch=1") && $0.contains("allowWatchBookmarks=true") })
        #expect(cluster.portico.log.contains("reloaded (Kubernetes objects changed)"))
    }

    @Test func tlsSecretsFromTheAPIAreServedAndFollowed() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        let root = PorticoProcess.repositoryRoot.appendingPathComponent("certs")
        let certificate = try String(contentsOf: root.appendingPathComponent("nip-io.crt"), encoding: .utf8)
        let key = try String(contentsOf: root.appendingPathComponent("nip-io.key"), encoding: .utf8)
        let host = "web-127-0-0-1.nip.io"
        cluster.api.apply("ingresses", KubeObjects.ingress("secure", host: host, paths: [("/", "web")], tlsSecret: "web-tls"))
        // No Secret yet: plain HTTP redirects (ssl-redirect), the default certificate does not verify.
        #expect(Self.eventually(5) { (try? cluster.curl.get(host, "/"))?.status == 308 })
        #expect((try cluster.curl.get(host, "/", tls: true)).exitCode != 0)
        // An Opaque Secret no Ingress names never enters the state; the TLS one is served.
        cluster.api.apply("secrets", KubeObjects.opaqueSecret("web-tls-opaque"))
        cluster.api.apply("secrets", KubeObjects.tlsSecret("web-tls", certificate: certificate, key: key))
        #expect(Self.eventually(5) { (try? cluster.curl.get(host, "/", tls: true))?.status == 200 })
        cluster.api.delete("secrets", namespace: "default", name: "web-tls")
        #expect(Self.eventually(5) { (try? cluster.curl.get(host, "/", tls: true))?.exitCode != 0 })
    }

    /// Basic-auth Secrets are Opaque: watched, passed on once an Ingress names one, followed.
    @Test func basicAuthSecretsFromTheAPI() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        let line = try AuthenticationTests.htpasswd("B", "alice", "s3cret")
        cluster.api.apply(
            "ingresses",
            KubeObjects.ingress("private", host: "private.test", paths: [("/", "web")],
                                annotations: ["nginx.ingress.kubernetes.io/auth-type": "basic", "nginx.ingress.kubernetes.io/auth-secret": "users"]))
        #expect(Self.eventually(5) { cluster.endpoint("private.test") == "status 503" })  // named, not there yet: denied
        cluster.api.apply(
            "secrets",
            ["apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": ["name": "users", "namespace": "default"],
             "data": ["auth": Data(line.utf8).base64EncodedString()]])
        #expect(Self.eventually(5) { (try? cluster.curl.get("private.test", "/"))?.status == 401 })
        #expect(try cluster.curl.get("private.test", "/", ["-u", "alice:s3cret"]).status == 200)
        cluster.api.apply(
            "secrets",
            ["apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": ["name": "users", "namespace": "default"],
             "data": ["auth": Data(try AuthenticationTests.htpasswd("B", "alice", "rotated").utf8).base64EncodedString()]])
        #expect(Self.eventually(5) { (try? cluster.curl.get("private.test", "/", ["-u", "alice:rotated"]))?.status == 200 })
        #expect(try cluster.curl.get("private.test", "/", ["-u", "alice:s3cret"]).status == 401)  // the old verdict is not reused
    }

    /// `--configmap ns/name` in a cluster: that one ConfigMap is watched (by name, in its own
    /// namespace), and its changes apply live; another ConfigMap changes nothing.
    @Test func theControllerConfigMapIsWatchedAndAppliesLive() async throws {
        let cluster = try await Cluster.start(extraArguments: ["--configmap", "portico-system/portico-controller"]) { api, _ in
            api.apply(
                "configmaps",
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "portico-controller", "namespace": "portico-system"],
                 "data": ["proxy-body-size": "1k", "add-headers": "shared/answer-headers"]])
            api.apply(
                "configmaps",
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "answer-headers", "namespace": "shared"],
                 "data": ["X-Frame-Options": "DENY"]])
        }
        defer { Task { await cluster.stop() } }
        let upload = String(repeating: "x", count: 2048)
        #expect(Self.eventually(5) { (try? cluster.curl.get("web.test", "/", ["--data-binary", upload]))?.status == 413 })
        // The header ConfigMap it names, in another namespace, is followed too.
        #expect(try cluster.curl.get("web.test", "/").headers["x-frame-options"] == "DENY")
        cluster.api.apply(
            "configmaps",
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "answer-headers", "namespace": "shared"],
             "data": ["X-Frame-Options": "SAMEORIGIN"]])
        #expect(Self.eventually(5) { (try? cluster.curl.get("web.test", "/"))?.headers["x-frame-options"] == "SAMEORIGIN" })
        cluster.api.apply(
            "configmaps",
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "other", "namespace": "portico-system"],
             "data": ["proxy-body-size": "8m"]])
        cluster.api.apply(
            "configmaps",
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "portico-controller", "namespace": "default"],
             "data": ["proxy-body-size": "8m"]])
        try await Task.sleep(for: .milliseconds(500))
        #expect(try cluster.curl.get("web.test", "/", ["--data-binary", upload]).status == 413, "not our ConfigMap")
        cluster.api.delete("configmaps", namespace: "portico-system", name: "portico-controller")
        #expect(Self.eventually(5) { (try? cluster.curl.get("web.test", "/", ["--data-binary", upload]))?.status == 200 }, "back to 1m")
        #expect(cluster.portico.log.contains("ConfigMap portico-system/portico-controller: not found"))
        cluster.api.apply(
            "configmaps",
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "portico-controller", "namespace": "portico-system"],
             "data": ["proxy-body-size": "2047"]])
        #expect(Self.eventually(5) { (try? cluster.curl.get("web.test", "/", ["--data-binary", upload]))?.status == 413 })
    }

    /// `portico check --report --kubeconfig`: the migration report of what a cluster holds, from
    /// one list of every kind, with no listener started.
    @Test func theMigrationReportReadsACluster() async throws {
        let api = try await FakeAPIServer()
        defer { Task { await api.stop() } }
        api.apply("ingressclasses", KubeObjects.ingressClass("nginx", controller: "k8s.io/ingress-nginx"))
        api.apply("services", KubeObjects.service("web", targetPort: 8080))
        api.apply("ingresses", KubeObjects.ingress("plain", host: "plain.test", paths: [("/", "web")], className: "nginx"))
        api.apply(
            "ingresses",
            KubeObjects.ingress(
                "gzip", host: "gzip.test", paths: [("/", "web")], className: "nginx",
                annotations: ["nginx.ingress.kubernetes.io/limit-rate": "100"]))
        api.apply("ingresses", KubeObjects.ingress("other", host: "other.test", paths: [("/", "web")], className: "traefik"))
        let kubeconfig = try api.kubeconfig().path
        let run = try CheckCommandTests.portico([
            "check", "--report", "--json", "--kubeconfig", kubeconfig, "--ingress-class", "nginx", "--controller-name", "k8s.io/ingress-nginx",
        ])
        #expect(run.status == 0, "\(run.output)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let verdicts = Dictionary(
            uniqueKeysWithValues: (document["ingresses"] as? [[String: Any]] ?? []).map { ($0["ingress"] as? String ?? "", $0["verdict"] as? String ?? "") })
        #expect(verdicts == ["default/plain": "served unchanged", "default/gzip": "degraded", "default/other": "not ours"])
    }

    @Test func largeListsArePagedWithContinue() async throws {
        let cluster = try await Cluster.start { api, port in
            for index in 0..<1_200 {
                api.apply("services", KubeObjects.service("svc-\(index)", targetPort: port))
            }
            api.apply("endpointslices", KubeObjects.endpointSlice("svc-1199", port: port, ready: ["127.0.60.2"]))
            api.apply("ingresses", KubeObjects.ingress("last", host: "last.test", paths: [("/", "svc-1199")]))
        }
        defer { Task { await cluster.stop() } }
        #expect(cluster.endpoint("last.test")?.hasPrefix("127.0.60.2:") == true)
        let serviceLists = cluster.api.requests.filter { $0.contains("/api/v1/services?limit=500") && !$0.contains("watch=1") }
        #expect(serviceLists.count == 3)
        #expect(serviceLists.filter { $0.contains("&continue=") }.count == 2)
    }

    @Test func expiredWatchListsAgainAndBookmarksAvoidIt() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        #expect(Self.eventually(5) { cluster.api.openWatches == ResourceKind.watched.count })
        let listsBefore = cluster.api.requests.filter { $0.contains("ingresses?limit=") }.count

        // A bookmark moves the watch's resourceVersion on; history is compacted up to it; the
        // watch drops. Resuming from the bookmark needs no new list.
        cluster.api.apply("services", KubeObjects.service("other", targetPort: 1))  // history moves on
        let bookmark = cluster.api.bookmarkAndDropWatches()
        cluster.api.compact(upTo: bookmark)
        #expect(Self.eventually(8) { cluster.api.openWatches == ResourceKind.watched.count })
        #expect(cluster.api.requests.contains { $0.contains("ingresses?watch=1") && $0.contains("resourceVersion=\(bookmark)&") })
        #expect(cluster.api.requests.filter { $0.contains("ingresses?limit=") }.count == listsBefore)

        // Without a bookmark: changes while disconnected, history compacted → 410 → list again,
        // and the change made while the watch was down arrives through the new list.
        cluster.api.apply("services", KubeObjects.service("another", targetPort: 1))
        cluster.api.compact()
        cluster.api.setDown(true)
        cluster.api.delete("ingresses", namespace: "default", name: "web")
        cluster.api.apply("ingresses", KubeObjects.ingress("moved", host: "moved.test", paths: [("/", "web")]))
        cluster.api.compact()
        cluster.api.setDown(false)
        #expect(Self.eventually(10) { cluster.endpoint("moved.test")?.hasPrefix("127.0.60.1:") == true })
        #expect(cluster.endpoint("web.test") == "status 404")
        #expect(cluster.api.requests.filter { $0.contains("ingresses?limit=") }.count > listsBefore)
        #expect(cluster.portico.log.contains("watch expired"))
    }

    @Test func apiOutageKeepsServingTheLastGoodState() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        #expect(Self.eventually(5) { cluster.api.openWatches == ResourceKind.watched.count })
        cluster.api.setDown(true)
        // Requests keep flowing while the API is gone; readiness stays (and says why).
        #expect(Self.eventually(8) { cluster.readyz()?.body.contains("API unreachable") == true })
        #expect(cluster.readyz()?.status == 200)
        for _ in 0..<10 { #expect(cluster.endpoint("web.test")?.hasPrefix("127.0.60.1:") == true) }
        #expect(cluster.portico.log.contains("Kubernetes API unreachable"))
        // Changed meanwhile; applied once the API is back.
        cluster.api.apply("endpointslices", KubeObjects.endpointSlice("web", port: cluster.backends.port, ready: ["127.0.60.2"]))
        cluster.api.setDown(false)
        #expect(Self.eventually(40) { cluster.endpoint("web.test")?.hasPrefix("127.0.60.2:") == true })
        #expect(Self.eventually(5) { cluster.readyz()?.body.contains("kubernetes: watching") == true })
        #expect(cluster.portico.log.contains("reachable again"))
    }

    @Test func ingressesWithoutClassNeedTheDefaultClassOrTheFlag() async throws {
        let cluster = try await Cluster.start { api, _ in
            api.apply("ingresses", KubeObjects.ingress("classless", host: "classless.test", paths: [("/", "web")], className: nil))
        }
        defer { Task { await cluster.stop() } }
        #expect(cluster.endpoint("classless.test") == "status 404")
        #expect(cluster.portico.log.contains("Ingress default/classless: ignored: it has no ingressClassName"))
        cluster.api.apply("ingressclasses", KubeObjects.ingressClass("portico", isDefault: true))
        #expect(Self.eventually(5) { cluster.endpoint("classless.test")?.hasPrefix("127.0.60.1:") == true })

        let flagged = try await Cluster.start(extraArguments: ["--watch-ingress-without-class"]) { api, _ in
            api.apply("ingresses", KubeObjects.ingress("classless", host: "classless.test", paths: [("/", "web")], className: nil))
        }
        defer { Task { await flagged.stop() } }
        #expect(flagged.endpoint("classless.test")?.hasPrefix("127.0.60.1:") == true)
    }

    /// `status.loadBalancer.ingress` of an Ingress as the API server holds it.
    static func loadBalancer(_ api: FakeAPIServer, _ name: String) -> [[String: String]] {
        let status = api.object("ingresses", namespace: "default", name: name)?["status"] as? [String: Any]
        return (status?["loadBalancer"] as? [String: Any])?["ingress"] as? [[String: String]] ?? []
    }

    @Test func gatewayAPIObjectsFromTheAPIAreServedAndFollowed() async throws {
        let cluster = try await Cluster.start { api, _ in
            api.apply("gatewayclasses", KubeObjects.gatewayClass("portico"))
            api.apply("gateways", KubeObjects.gateway("edge"))
            api.apply("httproutes", KubeObjects.httpRoute("shop", gateway: "edge", host: "shop.test", path: "/cart", service: "web"))
        }
        defer { Task { await cluster.stop() } }
        #expect(cluster.endpoint("shop.test", "/cart/1")?.hasPrefix("127.0.60.1:") == true)
        #expect(cluster.endpoint("shop.test", "/other") == "status 404")
        #expect(cluster.endpoint("web.test")?.hasPrefix("127.0.60.1:") == true)  // Ingresses beside them
        #expect(cluster.api.requests.contains { $0.contains("/apis/gateway.networking.k8s.io/v1/httproutes?") })
        #expect(cluster.api.requests.contains { $0.contains("/apis/gateway.networking.k8s.io/v1beta1/referencegrants?") })
        // Changed, then its Gateway handed to another controller, then back.
        cluster.api.apply("httproutes", KubeObjects.httpRoute("shop", gateway: "edge", host: "shop.test", path: "/other", service: "web"))
        #expect(Self.eventually(5) { cluster.endpoint("shop.test", "/other")?.hasPrefix("127.0.60.1:") == true })
        cluster.api.apply("gatewayclasses", KubeObjects.gatewayClass("portico", controller: "example.com/other"))
        #expect(Self.eventually(5) { cluster.endpoint("shop.test", "/other") == "status 404" })
        cluster.api.apply("gatewayclasses", KubeObjects.gatewayClass("portico"))
        #expect(Self.eventually(5) { cluster.endpoint("shop.test", "/other")?.hasPrefix("127.0.60.1:") == true })
        cluster.api.delete("httproutes", namespace: "default", name: "shop")
        #expect(Self.eventually(5) { cluster.endpoint("shop.test", "/other") == "status 404" })
    }

    /// The conditions of one object's status (`status.conditions`, or a listener's or a parent's).
    static func conditions(_ value: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for condition in value as? [[String: Any]] ?? [] {
            result[condition["type"] as? String ?? "?"] = "\(condition["status"] as? String ?? "?") \(condition["reason"] as? String ?? "?")"
        }
        return result
    }

    @Test func gatewayAPIStatusIsWrittenByTheLeader() async throws {
        let cluster = try await Cluster.start { api, _ in
            api.apply("gatewayclasses", KubeObjects.gatewayClass("portico"))
            api.apply("gatewayclasses", KubeObjects.gatewayClass("theirs", controller: "example.com/other"))
            api.apply("gateways", KubeObjects.gateway("edge"))
            api.apply("httproutes", KubeObjects.httpRoute("shop", gateway: "edge", host: "shop.test", path: "/", service: "web"))
            api.apply("httproutes", KubeObjects.httpRoute("broken", gateway: "edge", host: "broken.test", path: "/", service: "missing"))
            var foreign = KubeObjects.httpRoute("both", gateway: "edge", host: "both.test", path: "/", service: "web")
            foreign["status"] = ["parents": [[
                "parentRef": ["name": "elsewhere"], "controllerName": "example.com/other",
                "conditions": [["type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"]],
            ]]]
            api.apply("httproutes", foreign)
        }
        defer { Task { await cluster.stop() } }
        func status(_ resource: String, _ namespace: String?, _ name: String) -> [String: Any] {
            cluster.api.object(resource, namespace: namespace, name: name)?["status"] as? [String: Any] ?? [:]
        }
        #expect(Self.eventually(10) { Self.conditions(status("gatewayclasses", nil, "portico")["conditions"])["Accepted"] == "True Accepted" })
        #expect(status("gatewayclasses", nil, "theirs").isEmpty)  // another controller's
        #expect(Self.eventually(10) { Self.conditions(status("gateways", "default", "edge")["conditions"])["Programmed"] == "True Programmed" })
        let listener = (status("gateways", "default", "edge")["listeners"] as? [[String: Any]])?.first ?? [:]
        #expect(listener["name"] as? String == "http")
        #expect(listener["attachedRoutes"] as? Int == 3)
        #expect(Self.conditions(listener["conditions"])["Accepted"] == "True Accepted")
        #expect(Self.eventually(10) { (status("httproutes", "default", "shop")["parents"] as? [[String: Any]])?.count == 1 })
        let shop = (status("httproutes", "default", "shop")["parents"] as? [[String: Any]])?.first ?? [:]
        #expect(shop["controllerName"] as? String == "portico.dev/gateway-controller")
        #expect(Self.conditions(shop["conditions"]) == ["Accepted": "True Accepted", "ResolvedRefs": "True ResolvedRefs"])
        #expect(Self.eventually(10) {
            let parent = (status("httproutes", "default", "broken")["parents"] as? [[String: Any]])?.first
            return Self.conditions(parent?["conditions"])["ResolvedRefs"] == "False BackendNotFound"
        })
        // Another controller's parent entry stays beside ours.
        #expect(Self.eventually(10) { (status("httproutes", "default", "both")["parents"] as? [[String: Any]])?.count == 2 })
        let controllers = ((status("httproutes", "default", "both")["parents"] as? [[String: Any]]) ?? []).compactMap { $0["controllerName"] as? String }
        #expect(Set(controllers) == ["example.com/other", "portico.dev/gateway-controller"])
        // Written once each: the status coming back through the watch stops further writes.
        try await Task.sleep(for: .seconds(2))
        #expect(cluster.api.requests.filter { $0.contains("PATCH") && $0.contains("/httproutes/shop/status") }.count == 1)
        // A change the status reflects: the route now points at the missing Service.
        cluster.api.apply("httproutes", KubeObjects.httpRoute("shop", gateway: "edge", host: "shop.test", path: "/", service: "missing"))
        #expect(Self.eventually(10) {
            let parent = (status("httproutes", "default", "shop")["parents"] as? [[String: Any]])?.first
            return Self.conditions(parent?["conditions"])["ResolvedRefs"] == "False BackendNotFound"
        })
    }

    @Test func grpcRoutesFromTheAPIAreServedAndTheirStatusWritten() async throws {
        let cluster = try await Cluster.start { api, _ in
            api.apply("gatewayclasses", KubeObjects.gatewayClass("portico"))
            api.apply("gateways", KubeObjects.gateway("edge"))
            api.apply("grpcroutes", KubeObjects.grpcRoute("rpc", gateway: "edge", host: "rpc.test", grpcService: "pkg.Svc", service: "missing"))
        }
        defer { Task { await cluster.stop() } }
        func parent() -> [String: Any] {
            let status = cluster.api.object("grpcroutes", namespace: "default", name: "rpc")?["status"] as? [String: Any]
            return (status?["parents"] as? [[String: Any]])?.first ?? [:]
        }
        #expect(cluster.api.requests.contains { $0.contains("/apis/gateway.networking.k8s.io/v1/grpcroutes?") })
        // The rule's one backend does not exist: its calls are UNAVAILABLE (503); other calls find no route.
        #expect(cluster.endpoint("rpc.test", "/pkg.Svc/Call") == "status 503")
        #expect(cluster.endpoint("rpc.test", "/pkg.Other/Call") == "status 404")
        #expect(Self.eventually(10) { Self.conditions(parent()["conditions"]) == ["Accepted": "True Accepted", "ResolvedRefs": "False BackendNotFound"] })
        #expect(parent()["controllerName"] as? String == "portico.dev/gateway-controller")
        #expect(cluster.api.requests.contains { $0.contains("PATCH") && $0.contains("/grpcroutes/rpc/status") })
        // Changed, then deleted.
        cluster.api.apply("grpcroutes", KubeObjects.grpcRoute("rpc", gateway: "edge", host: "rpc.test", grpcService: "pkg.Other", service: "missing"))
        #expect(Self.eventually(5) { cluster.endpoint("rpc.test", "/pkg.Other/Call") == "status 503" })
        #expect(cluster.endpoint("rpc.test", "/pkg.Svc/Call") == "status 404")
        cluster.api.delete("grpcroutes", namespace: "default", name: "rpc")
        #expect(Self.eventually(5) { cluster.endpoint("rpc.test", "/pkg.Other/Call") == "status 404" })
    }

    @Test func listenersAdmitRoutesByTheirNamespacesLabelsAsTheyChange() async throws {
        let cluster = try await Cluster.start { api, _ in
            api.apply("namespaces", KubeObjects.namespace("default", labels: ["gateway-access": "granted"]))
            api.apply("gatewayclasses", KubeObjects.gatewayClass("portico"))
            var gateway = KubeObjects.gateway("edge")
            gateway["spec"] = [
                "gatewayClassName": "portico",
                "listeners": [[
                    "name": "http", "protocol": "HTTP", "port": 80,
                    "allowedRoutes": ["namespaces": ["from": "Selector", "selector": ["matchLabels": ["gateway-access": "granted"]]]],
                ]],
            ]
            api.apply("gateways", gateway)
            api.apply("httproutes", KubeObjects.httpRoute("shop", gateway: "edge", host: "shop.test", path: "/", service: "web"))
        }
        defer { Task { await cluster.stop() } }
        #expect(cluster.api.requests.contains { $0.contains("/api/v1/namespaces?") })
        #expect(cluster.endpoint("shop.test")?.hasPrefix("127.0.60.1:") == true)
        // The namespace loses the label: the route no longer attaches; it gets it back: served again.
        cluster.api.apply("namespaces", KubeObjects.namespace("default", labels: ["gateway-access": "revoked"]))
        #expect(Self.eventually(5) { cluster.endpoint("shop.test") == "status 404" })
        cluster.api.apply("namespaces", KubeObjects.namespace("default", labels: ["gateway-access": "granted"]))
        #expect(Self.eventually(5) { cluster.endpoint("shop.test")?.hasPrefix("127.0.60.1:") == true })
    }

    @Test func aClusterWithoutTheGatewayAPICRDsServesIngresses() async throws {
        let cluster = try await Cluster.start { api, _ in
            api.setAbsent(["gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants"])
        }
        defer { Task { await cluster.stop() } }
        // Synced and ready although five kinds answer 404; the Ingress is served.
        #expect(cluster.readyz()?.status == 200)
        #expect(cluster.endpoint("web.test")?.hasPrefix("127.0.60.1:") == true)
        #expect(Self.eventually(5) { cluster.portico.log.contains("httproutes: not served by this cluster") })
        #expect(!cluster.portico.log.contains("Kubernetes API unreachable"))
    }

    @Test func statusAddressesAreWrittenToIngressesAndGateways() async throws {
        let cluster = try await Cluster.start(extraArguments: ["--publish-status-address", "192.0.2.7,lb.example.com"]) { api, _ in
            api.apply("ingresses", KubeObjects.ingress("theirs", host: "theirs.test", paths: [("/", "web")], className: "nginx"))
            api.apply("ingressclasses", KubeObjects.ingressClass("nginx", controller: "k8s.io/ingress-nginx"))
            api.apply("gatewayclasses", KubeObjects.gatewayClass("portico"))
            api.apply("gateways", KubeObjects.gateway("edge"))
        }
        defer { Task { await cluster.stop() } }
        // Our Gateway's `status.addresses` are the same addresses (GatewayStatusAddress types).
        #expect(Self.eventually(10) {
            let status = cluster.api.object("gateways", namespace: "default", name: "edge")?["status"] as? [String: Any]
            return (status?["addresses"] as? [[String: String]]) == [["type": "IPAddress", "value": "192.0.2.7"], ["type": "Hostname", "value": "lb.example.com"]]
        })
        let expected = [["ip": "192.0.2.7"], ["hostname": "lb.example.com"]]
        #expect(Self.eventually(10) { Self.loadBalancer(cluster.api, "web") == expected }, "\(cluster.portico.log)\n\(cluster.api.requests.filter { !$0.contains("GET") })")
        // Someone else's Ingress is left alone; a new one of ours gets the status too.
        cluster.api.apply("ingresses", KubeObjects.ingress("later", host: "later.test", paths: [("/", "web")]))
        #expect(Self.eventually(10) { Self.loadBalancer(cluster.api, "later") == expected })
        #expect(Self.loadBalancer(cluster.api, "theirs").isEmpty)
        // Written once each: the status coming back through the watch stops further writes.
        try await Task.sleep(for: .seconds(1))
        #expect(cluster.api.requests.filter { $0.contains("PATCH") && $0.contains("/ingresses/web/status") }.count == 1)
    }

    @Test func twoReplicasServeButOnlyTheLeaderWritesStatus() async throws {
        let api = try await FakeAPIServer(tokens: ["token-a", "token-b"])
        let backends = try await TestBackends(addresses: ["127.0.60.1"], page: "web")
        api.apply("ingressclasses", KubeObjects.ingressClass("portico"))
        api.apply("services", KubeObjects.service("web", targetPort: backends.port))
        api.apply("endpointslices", KubeObjects.endpointSlice("web", port: backends.port, ready: ["127.0.60.1"]))
        api.apply("ingresses", KubeObjects.ingress("web", host: "web.test", paths: [("/", "web")]))
        var publish = KubeObjects.service("portico", namespace: "portico-system", targetPort: 8080)
        publish["status"] = ["loadBalancer": ["ingress": [["ip": "192.0.2.80"]]]]
        api.apply("services", publish)

        let arguments = ["--publish-service", "portico-system/portico", "--lease-duration", "3"]
        let (a, healthA) = try Cluster.replica(of: api, token: "token-a", extraArguments: arguments)
        let (b, healthB) = try Cluster.replica(of: api, token: "token-b", extraArguments: arguments)
        defer { a.terminate(); b.terminate() }
        // Both serve.
        for replica in [a, b] {
            #expect((try Curl(port: replica.port).get("web.test", "/")).status == 200)
        }
        #expect(Self.eventually(10) { Self.loadBalancer(api, "web") == [["ip": "192.0.2.80"]] })
        // One leader, holding the Lease; only its token ever patched status.
        let leaders = [a, b].filter { $0.log.contains("became the leader") }
        #expect(leaders.count == 1)
        let lease = try #require(api.object("leases", namespace: "portico-system", name: "portico-leader"))
        let holder = ((lease["spec"] as? [String: Any])?["holderIdentity"] as? String) ?? ""
        #expect(!holder.isEmpty)
        let leaderToken = leaders.first === a ? "token-a" : "token-b"
        // nginx_ingress_controller_leader_election_status{name} says the same on each replica.
        func leaderStatus(_ healthPort: Int) -> Double? {
            (try? MetricsTests.scrape(healthPort)).flatMap {
                MetricsTests.value($0, "nginx_ingress_controller_leader_election_status", ["name=\"portico-leader\""])
            }
        }
        let (leaderHealth, followerHealth) = leaders.first === a ? (healthA, healthB) : (healthB, healthA)
        #expect(Self.eventually(5) { leaderStatus(leaderHealth) == 1 && leaderStatus(followerHealth) == 0 })
        let patches = api.requests.filter { $0.contains("PATCH") }
        #expect(!patches.isEmpty && patches.allSatisfy { $0.hasPrefix(leaderToken + " ") })

        // The leader stops (releasing the Lease); the other takes over and writes status.
        let (leader, follower) = leaders.first === a ? (a, b) : (b, a)
        leader.terminate()
        #expect(Self.eventually(10) { follower.log.contains("became the leader") })
        #expect(Self.eventually(5) { leaderStatus(followerHealth) == 1 })
        api.apply("ingresses", KubeObjects.ingress("after", host: "after.test", paths: [("/", "web")]))
        #expect(Self.eventually(10) { Self.loadBalancer(api, "after") == [["ip": "192.0.2.80"]] })
        let followerToken = leaderToken == "token-a" ? "token-b" : "token-a"
        #expect(api.requests.contains { $0.hasPrefix(followerToken + " PATCH") && $0.contains("/ingresses/after/status") })
        #expect((try Curl(port: follower.port).get("after.test", "/")).status == 200)
        follower.terminate()
        await backends.stop()
        await api.stop()
    }

    @Test func trafficFlowsThroughChurnDroppedWatchesAndExpiry() async throws {
        let addresses = ["127.0.61.1", "127.0.61.2", "127.0.61.3"]
        let cluster = try await Cluster.start()
        let backends = try await TestBackends(addresses: addresses, page: "churn")
        let port = backends.port
        cluster.api.apply("services", KubeObjects.service("churn", targetPort: port))
        cluster.api.apply("endpointslices", KubeObjects.endpointSlice("churn", port: port, ready: [addresses[0], addresses[1]]))
        cluster.api.apply("ingresses", KubeObjects.ingress("churn", host: "churn.test", paths: [("/", "churn")]))
        #expect(Self.eventually(5) { cluster.endpoint("churn.test") != "status 404" })

        let log = LoadLog.start(port: cluster.portico.port, host: "churn.test", clients: 2)
        let api = cluster.api
        let phases: [LoadLog.Phase] = [
            .init(change: { api.apply("endpointslices", KubeObjects.endpointSlice("churn", port: port, ready: [addresses[1], addresses[2]], notReady: [addresses[0]])) },
                  allowed: [addresses[1], addresses[2]]),
            .init(change: { api.dropWatches() }, allowed: [addresses[1], addresses[2]]),
            .init(change: { api.apply("ingresses", KubeObjects.ingress("other", host: "other.test", paths: [("/", "churn")])) }, allowed: [addresses[1], addresses[2]]),
            .init(
                change: {
                    // Changed while no watch is open and history compacted: 410, list again
                    // (after a backoff, hence the longer settle).
                    api.setDown(true)
                    api.apply("endpointslices", KubeObjects.endpointSlice("churn", port: port, ready: [addresses[0]]))
                    api.compact()
                    api.setDown(false)
                }, settle: .seconds(4), allowed: [addresses[0]]),
            .init(change: { api.apply("endpointslices", KubeObjects.endpointSlice("churn", port: port, ready: addresses)) }, allowed: Set(addresses)),
        ]
        try await log.check(phases, label: "kubernetes churn under load")
        await backends.stop()
        await cluster.stop()
    }

    @Test func namespaceFlagWatchesOneNamespace() async throws {
        let cluster = try await Cluster.start(extraArguments: ["--namespace", "team-a"]) { api, port in
            for namespace in ["team-a", "team-b"] {
                api.apply("services", KubeObjects.service("web", namespace: namespace, targetPort: port))
                api.apply("endpointslices", KubeObjects.endpointSlice("web", namespace: namespace, port: port, ready: ["127.0.60.2"]))
                api.apply("ingresses", KubeObjects.ingress("web", namespace: namespace, host: "\(namespace).test", paths: [("/", "web")]))
            }
        }
        #expect(cluster.endpoint("team-a.test")?.hasPrefix("127.0.60.2:") == true)
        #expect(cluster.endpoint("team-b.test") == "status 404")
        #expect(cluster.endpoint("web.test") == "status 404")  // the seed Ingress lives in default
        let namespaced = cluster.api.requests.filter { $0.contains("/namespaces/") }
        #expect(namespaced.contains { $0.contains("/api/v1/namespaces/team-a/services?") })
        #expect(!namespaced.contains { $0.contains("/namespaces/team-b/") })
        // IngressClasses are cluster-scoped: still listed across the cluster.
        #expect(cluster.api.requests.contains { $0.contains("/apis/networking.k8s.io/v1/ingressclasses?") })
        await cluster.stop()
    }

    @Test func watchesCutAtOnceBackOffInsteadOfLooping() async throws {
        let cluster = try await Cluster.start()
        #expect(Self.eventually(5) { cluster.api.openWatches == ResourceKind.watched.count })
        let before = cluster.api.requests.count
        cluster.api.setCutWatches(true)
        try await Task.sleep(for: .seconds(3))
        let watches = cluster.api.requests.dropFirst(before).filter { $0.contains("watch=1") }.count
        // Five kinds, each backing off from 0.8 s: a handful of tries, not a tight loop.
        #expect(watches > 5 && watches <= 25, "\(watches) watch requests in 3 s")
        cluster.api.setCutWatches(false)
        #expect(cluster.endpoint("web.test")?.hasPrefix("127.0.60.1:") == true)  // serving throughout
        await cluster.stop()
    }
}
