import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import Testing

@testable import PorticoKubernetes

/// The store between the watches and the compiler: last good versions, issues, change signals.
@Suite struct ObjectStoreTests {
    static func service(_ name: String, port: Int) -> ObjectStore.Decoded {
        let payload = try! APIPayload.parse(#"{"metadata":{"name":"\#(name)","namespace":"shop"},"spec":{"ports":[{"port":\#(port)}]}}"#)
        let result = payload.decodeObject(kind: "Service", apiVersion: "v1", source: "kubernetes")
        return ObjectStore.Decoded(
            key: ClusterState.ObjectKey(kind: "Service", namespace: "shop", name: name), object: result.objects.first?.object,
            issue: result.issues.first, loadBalancer: [])
    }

    @Test func aBrokenVersionKeepsTheLastGoodOneAndAListClearsStaleIssues() {
        let store = ObjectStore(kinds: [.services])
        store.replace(.services, with: [Self.service("web", port: 80)])
        #expect(store.isSynced)
        let broken = Self.service("web", port: 0)  // port 0 does not decode
        #expect(broken.object == nil && broken.issue != nil)
        store.apply(.services, broken, deleted: false)
        var (state, diagnostics, _) = store.clusterState()
        #expect(state.services.map(\.ports.first?.port) == [80])  // the last good version serves
        #expect(diagnostics.count == 1)
        // A broken object that never had a good version, then a re-list without it: no stale issue.
        store.apply(.services, Self.service("new", port: 0), deleted: false)
        store.replace(.services, with: [Self.service("web", port: 81)])
        (state, diagnostics, _) = store.clusterState()
        #expect(state.services.map(\.ports.first?.port) == [81])
        #expect(diagnostics.isEmpty)
    }

    @Test func statusOnlyChangesDoNotSignal() {
        let store = ObjectStore(kinds: [.services])
        store.replace(.services, with: [Self.service("web", port: 80)])
        let version = store.version
        store.apply(.services, Self.service("web", port: 80), deleted: false)  // same object, new resourceVersion
        #expect(store.version == version)
        store.apply(.services, Self.service("web", port: 80), deleted: true)
        #expect(store.version == version + 1)
        #expect(store.clusterState().state.services.isEmpty)
    }

    /// The reload loop learns which Services' endpoints changed since it last took the state,
    /// so an endpoint event re-resolves only their backends; a full list makes it unknown.
    @Test func takingTheStateSaysWhichServicesChanged() {
        let store = ObjectStore(kinds: [.services])
        store.replace(.services, with: [Self.service("web", port: 80), Self.service("api", port: 80)])
        #expect(store.takeState().changedServices == nil)  // after a list: unknown
        #expect(store.takeState().changedServices == [])  // nothing since
        store.apply(.services, Self.service("api", port: 81), deleted: false)
        store.apply(.services, Self.service("api", port: 81), deleted: false)  // unchanged: not counted again
        #expect(store.takeState().changedServices == [ClusterState.ServiceName(namespace: "shop", name: "api")])
        store.apply(.services, Self.service("web", port: 80), deleted: true)
        #expect(store.takeState().changedServices == [ClusterState.ServiceName(namespace: "shop", name: "web")])
        #expect(store.clusterState().state.services.map(\.metadata.name) == ["api"])
    }
}
