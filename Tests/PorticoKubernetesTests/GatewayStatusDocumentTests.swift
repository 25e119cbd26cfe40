import Foundation
import PorticoConfig
import PorticoKube
import Testing

@testable import PorticoKubernetes

/// The Gateway API status JSON the leader writes, merged with what the object shows.
@Suite struct GatewayStatusDocumentTests {
    static let earlier = "2026-01-01T00:00:00Z"
    static let now = "2026-12-03T12:00:00Z"

    @Test func aConditionKeepsItsTransitionTimeWhileItsStatusStands() {
        let current: [String: Any] = ["conditions": [
            ["type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": Self.earlier],
            ["type": "Programmed", "status": "False", "reason": "Invalid", "lastTransitionTime": Self.earlier],
        ]]
        let written = GatewayStatusDocument.gatewayClass(
            [.init("Accepted", true, "Accepted", generation: 3), .init("Programmed", true, "Programmed")], current: current, now: Self.now)
        let conditions = written["conditions"] as? [[String: Any]] ?? []
        #expect(conditions.map { $0["lastTransitionTime"] as? String } == [Self.earlier, Self.now])  // Programmed flipped
        #expect(conditions.first?["observedGeneration"] as? Int == 3)
        #expect(conditions.map { $0["status"] as? String } == ["True", "True"])
    }

    @Test func anHTTPRoutesOtherParentsStay() {
        let theirs: [String: Any] = [
            "parentRef": ["name": "elsewhere"], "controllerName": "example.com/other",
            "conditions": [["type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": Self.earlier]],
        ]
        let ours: [String: Any] = [
            "parentRef": ["group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge", "namespace": "shop"],
            "controllerName": "portico.dev/gateway-controller",
            "conditions": [["type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": Self.earlier]],
        ]
        let written = GatewayStatusDocument.route(
            [GatewayAPIStatus.Parent(ref: ParentReference(name: "edge"), conditions: [.init("Accepted", true, "Accepted")])],
            namespace: "shop", current: ["parents": [theirs, ours]], now: Self.now)
        let parents = written["parents"] as? [[String: Any]] ?? []
        #expect(parents.map { $0["controllerName"] as? String } == ["example.com/other", "portico.dev/gateway-controller"])
        // Ours was matched by its parentRef (namespace filled in), so its time stays.
        let time = (parents.last?["conditions"] as? [[String: Any]])?.first?["lastTransitionTime"] as? String
        #expect(time == Self.earlier)
        // Nothing differs but times: the writer would not write it again.
        #expect(StatusWriter.withoutTimes(written) == StatusWriter.withoutTimes(["parents": [theirs, ours]]))
    }
}
