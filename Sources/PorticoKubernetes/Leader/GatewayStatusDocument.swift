import Foundation
import PorticoConfig
import PorticoKube
import PorticoRouting

/// The `status` JSON of a Gateway API object from what the compiler decided, merged with what
/// the object shows now: a condition whose status did not change keeps its
/// `lastTransitionTime` (metav1.Condition: "the last time the condition transitioned"), and an
/// HTTPRoute's `parents` entries written by other controllers stay as they are.
enum GatewayStatusDocument {
    static let controllerName = CompileOptions.defaultGatewayControllerName

    /// `status` of a GatewayClass.
    static func gatewayClass(_ conditions: [GatewayAPIStatus.Condition], current: [String: Any]?, now: String) -> [String: Any] {
        ["conditions": Self.conditions(conditions, current: current?["conditions"], now: now)]
    }

    /// `status` of a Gateway: its conditions, one entry per listener, and the addresses Portico
    /// is reached at (`--publish-service`/`--publish-status-address`, as Ingresses get them:
    /// `IPAddress` or `Hostname` entries of `GatewayStatusAddress`), when known.
    static func gateway(_ value: GatewayAPIStatus.GatewayValue, addresses: [String]? = nil, current: [String: Any]?, now: String) -> [String: Any] {
        let currentListeners = current?["listeners"] as? [[String: Any]] ?? []
        var document: [String: Any] = [
            "conditions": Self.conditions(value.conditions, current: current?["conditions"], now: now),
            "listeners": Self.listeners(value.listeners, current: currentListeners, now: now),
        ]
        if let addresses {
            document["addresses"] = addresses.map { ["type": IPAddressBytes.parse($0) != nil ? "IPAddress" : "Hostname", "value": $0] }
        }
        return document
    }

    static func listeners(_ listeners: [GatewayAPIStatus.Listener], current currentListeners: [[String: Any]], now: String) -> [[String: Any]] {
        listeners.map { listener -> [String: Any] in
            let previous = currentListeners.first { $0["name"] as? String == listener.name }
            return [
                "name": listener.name, "attachedRoutes": listener.attachedRoutes,
                "supportedKinds": listener.supportedKinds.map { ["group": "gateway.networking.k8s.io", "kind": $0] },
                "conditions": Self.conditions(listener.conditions, current: previous?["conditions"], now: now),
            ]
        }
    }

    /// `status` of an HTTPRoute or GRPCRoute: other controllers' parents, then ours.
    static func route(_ parents: [GatewayAPIStatus.Parent], namespace: String, current: [String: Any]?, now: String) -> [String: Any] {
        let existing = current?["parents"] as? [[String: Any]] ?? []
        let others = existing.filter { $0["controllerName"] as? String != Self.controllerName }
        let ours = parents.map { parent -> [String: Any] in
            let ref = Self.parentRef(parent.ref, namespace: namespace)
            let previous = existing.first {
                $0["controllerName"] as? String == Self.controllerName && Self.canonical($0["parentRef"] ?? [:]) == Self.canonical(ref)
            }
            return [
                "parentRef": ref, "controllerName": Self.controllerName,
                "conditions": Self.conditions(parent.conditions, current: previous?["conditions"], now: now),
            ]
        }
        return ["parents": others + ours]
    }

    static func parentRef(_ ref: ParentReference, namespace: String) -> [String: Any] {
        var value: [String: Any] = ["group": ref.group, "kind": ref.kind, "name": ref.name, "namespace": ref.namespace ?? namespace]
        if let section = ref.sectionName { value["sectionName"] = section }
        if let port = ref.port { value["port"] = port }
        return value
    }

    static func conditions(_ conditions: [GatewayAPIStatus.Condition], current: Any?, now: String) -> [[String: Any]] {
        let previous = current as? [[String: Any]] ?? []
        return conditions.map { condition in
            let status = condition.status ? "True" : "False"
            let same = previous.first { $0["type"] as? String == condition.type && $0["status"] as? String == status }
            var value: [String: Any] = [
                "type": condition.type, "status": status, "reason": condition.reason, "message": condition.message,
                "lastTransitionTime": same?["lastTransitionTime"] as? String ?? now,
            ]
            if let generation = condition.observedGeneration { value["observedGeneration"] = generation }
            return value
        }
    }

    /// A value as sorted-key JSON, for comparing what is there with what should be.
    static func canonical(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 3339 in UTC, seconds precision (metav1.Time).
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
