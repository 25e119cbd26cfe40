import Foundation
import PorticoKube

/// Which ConfigMaps the compiler can use, so the cluster's others (every namespace's
/// `kube-root-ca.crt`, application configuration) never reach the compiled state: the
/// controller's own (`--configmap`), the ones it names in `add-headers` and
/// `proxy-set-headers`, and those Ingresses name in `custom-headers` and `auth-proxy-set-headers`.
public struct ConfigMapReferences: Sendable {
    private var named: Set<String> = []

    /// `controller`: `--configmap`'s `namespace/name`; `configMaps`: the candidates, where the
    /// controller's own is looked up for the ones it names.
    public init(controller: String?, configMaps: some Sequence<ConfigMap>, ingresses: some Sequence<Ingress>) {
        if let controller {
            self.named.insert(controller)
            if let own = configMaps.first(where: { "\($0.metadata.namespace)/\($0.metadata.name)" == controller }) {
                for key in ["add-headers", "proxy-set-headers"] {
                    if let reference = own.data[key]?.trimmingCharacters(in: .whitespaces), !reference.isEmpty { self.named.insert(reference) }
                }
            }
        }
        for ingress in ingresses {
            for annotation in ["custom-headers", "auth-proxy-set-headers"] {
                guard let reference = ingress.metadata.annotations[AnnotationReader.prefix + annotation], !reference.isEmpty else {
                    continue
                }
                self.named.insert(reference)
                self.named.insert("\(ingress.metadata.namespace)/\(reference)")
            }
        }
    }

    public func needs(_ configMap: ConfigMap) -> Bool {
        self.named.contains("\(configMap.metadata.namespace)/\(configMap.metadata.name)")
    }
}
