import PorticoRouting

/// `nginx_ingress_controller_config_hash`: a fingerprint of the serving configuration, the same
/// on every replica that serves the same routes (ingress-nginx hashes its whole configuration
/// with hashstructure). FNV-1a over what `portico routes` lists — hosts, paths, backends,
/// endpoints, rewrites, owning Ingresses — and the TLS hosts with their certificates' origins.
/// Kept to 53 bits so the gauge's float64 holds it exactly.
public enum ConfigurationHash {
    public static func of(_ snapshot: RoutingSnapshot) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            hash ^= 0x1F
            hash &*= 0x100_0000_01b3
        }
        for row in RouteListing.rows(snapshot) {
            for field in [row.host, row.path, row.type, row.backend, row.rewrite, row.endpoints, row.ingress] { mix(field) }
        }
        for binding in snapshot.tls {
            mix(binding.host.description)
            mix(binding.certificate?.origin ?? "")
        }
        return hash & ((1 << 53) - 1)
    }
}
