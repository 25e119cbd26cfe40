import Foundation

/// Objects in the JSON shapes kube-apiserver serves, for the fake API server.
enum KubeObjects {
    static func ingressClass(_ name: String, controller: String = "portico.dev/ingress-controller", isDefault: Bool = false) -> [String: Any] {
        var metadata: [String: Any] = ["name": name]
        if isDefault { metadata["annotations"] = ["ingressclass.kubernetes.io/is-default-class": "true"] }
        return ["apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": metadata, "spec": ["controller": controller]]
    }

    static func ingress(
        _ name: String, namespace: String = "default", host: String, paths: [(path: String, service: String)], className: String? = "portico",
        tlsSecret: String? = nil, annotations: [String: String] = [:]
    ) -> [String: Any] {
        var spec: [String: Any] = [
            "rules": [[
                "host": host,
                "http": ["paths": paths.map { path in
                    ["path": path.path, "pathType": "Prefix", "backend": ["service": ["name": path.service, "port": ["number": 80]]]]
                }],
            ]]
        ]
        if let className { spec["ingressClassName"] = className }
        if let tlsSecret { spec["tls"] = [["hosts": [host], "secretName": tlsSecret]] }
        return [
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": ["name": name, "namespace": namespace, "annotations": annotations], "spec": spec,
            "status": ["loadBalancer": [String: Any]()],
        ]
    }

    static func service(_ name: String, namespace: String = "default", targetPort: Int) -> [String: Any] {
        [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": name, "namespace": namespace],
            "spec": [
                "type": "ClusterIP", "clusterIP": "10.96.0.10", "selector": ["app": name],
                "ports": [["name": "http", "port": 80, "targetPort": targetPort, "protocol": "TCP"]],
            ],
        ]
    }

    static func endpointSlice(_ service: String, namespace: String = "default", port: Int, ready: [String], notReady: [String] = []) -> [String: Any] {
        let endpoints = ready.map { ["addresses": [$0], "conditions": ["ready": true]] }
            + notReady.map { ["addresses": [$0], "conditions": ["ready": false]] }
        return [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": ["name": "\(service)-abcde", "namespace": namespace, "labels": ["kubernetes.io/service-name": service]],
            "ports": [["name": "http", "port": port, "protocol": "TCP"]], "endpoints": endpoints,
        ]
    }

    static func tlsSecret(_ name: String, namespace: String = "default", certificate: String, key: String) -> [String: Any] {
        [
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": ["name": name, "namespace": namespace],
            "data": ["tls.crt": Data(certificate.utf8).base64EncodedString(), "tls.key": Data(key.utf8).base64EncodedString()],
        ]
    }

    static func opaqueSecret(_ name: String, namespace: String = "default") -> [String: Any] {
        ["apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": ["name": name, "namespace": namespace], "data": ["password": "aHVudGVyMg=="]]
    }

    static func gatewayClass(_ name: String, controller: String = "portico.dev/gateway-controller") -> [String: Any] {
        ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": ["name": name], "spec": ["controllerName": controller]]
    }

    static func gateway(_ name: String, namespace: String = "default", className: String = "portico") -> [String: Any] {
        [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": ["name": name, "namespace": namespace],
            "spec": ["gatewayClassName": className, "listeners": [["name": "http", "protocol": "HTTP", "port": 80]]],
        ]
    }

    static func namespace(_ name: String, labels: [String: String]) -> [String: Any] {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": name, "labels": labels]]
    }

    /// An HTTPRoute with one rule: `PathPrefix path` to `service` port 80.
    static func httpRoute(_ name: String, namespace: String = "default", gateway: String, host: String, path: String, service: String) -> [String: Any] {
        [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": name, "namespace": namespace],
            "spec": [
                "parentRefs": [["name": gateway]], "hostnames": [host],
                "rules": [["matches": [["path": ["type": "PathPrefix", "value": path]]], "backendRefs": [["name": service, "port": 80]]]],
            ],
        ]
    }

    /// A GRPCRoute with one rule: every method of `grpcService` to `service` port 80.
    static func grpcRoute(_ name: String, namespace: String = "default", gateway: String, host: String, grpcService: String, service: String) -> [String: Any] {
        [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute", "metadata": ["name": name, "namespace": namespace],
            "spec": [
                "parentRefs": [["name": gateway]], "hostnames": [host],
                "rules": [["matches": [["method": ["service": grpcService]]], "backendRefs": [["name": service, "port": 80]]]],
            ],
        ]
    }
}
