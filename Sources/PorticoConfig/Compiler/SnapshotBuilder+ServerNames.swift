import PorticoDiagnostics
import PorticoRouting

/// Host names an Ingress adds beside its rule hosts: `server-alias` and the `www.` twins of
/// `from-to-www-redirect`.
extension SnapshotBuilder {
    /// A `from-to-www-redirect` twin: `from` answers only with a redirect to `to`.
    struct WWWTwin {
        var from: HostPattern
        var to: HostPattern
    }

    /// The aliases of each rule host: the oldest Ingress with `server-alias` for that host sets
    /// them (later ones are skipped with a warning); an alias that is a rule host itself, or
    /// the host's own name, is skipped (ingress-nginx controller.go `createServers`).
    mutating func aliases(ruleHosts: Set<HostPattern>) -> [HostPattern: [HostPattern]] {
        var result: [HostPattern: [HostPattern]] = [:]
        var taken = Set<HostPattern>()
        for entry in self.accepted where !entry.annotations.aliases.isEmpty {
            let field = "metadata.annotations[nginx.ingress.kubernetes.io/server-alias]"
            for host in Set(entry.patterns.compactMap { $0 }).sorted(by: { $0.description < $1.description }) {
                guard result[host] == nil else {
                    self.warn(entry, field: field, "host \(host) already has the aliases of an older Ingress; these are skipped, as ingress-nginx does")
                    continue
                }
                var list: [HostPattern] = []
                for alias in entry.annotations.aliases {
                    guard case .success(let pattern) = HostPattern.parse(alias) else {
                        self.warn(entry, field: field, "\"\(alias)\" is not a valid host name; skipped")
                        continue
                    }
                    guard !ruleHosts.contains(pattern) else { continue }  // a host of its own wins
                    guard taken.insert(pattern).inserted else {
                        self.warn(entry, field: field, "\(alias) is already an alias of another host; skipped")
                        continue
                    }
                    list.append(pattern)
                }
                result[host] = list
            }
        }
        return result
    }

    /// `from-to-www-redirect`: for each named rule host `h` of such an Ingress, `www.h` (or `h`
    /// without `www.`) redirects to it, unless that name is a rule host itself (ingress-nginx
    /// `BuildRedirects`: "Already exists an Ingress with … hostname. Skipping").
    mutating func wwwTwins(ruleHosts: Set<HostPattern>) -> [WWWTwin] {
        var twins: [WWWTwin] = []
        var seen = Set<HostPattern>()
        for entry in self.accepted where entry.annotations.fromToWWW {
            for case .exact(let name)? in entry.patterns {
                let fromName = name.hasPrefix("www.") ? String(name.dropFirst(4)) : "www." + name
                guard case .success(let from) = HostPattern.parse(fromName), case .success(let to) = HostPattern.parse(name),
                    seen.insert(to).inserted
                else { continue }
                guard !ruleHosts.contains(from) else {
                    self.warn(entry, field: "metadata.annotations[nginx.ingress.kubernetes.io/from-to-www-redirect]",
                              "\(fromName) is a host of its own Ingress rules, so it is not redirected to \(name), as ingress-nginx skips it")
                    continue
                }
                twins.append(WWWTwin(from: from, to: to))
            }
        }
        return twins
    }

    /// An alias or `www.` twin answers HTTPS with its host's certificate.
    static func bindings(for aliases: [HostPattern: [HostPattern]], twins: [WWWTwin], from tls: [TLSBinding]) -> [TLSBinding] {
        let byHost = Dictionary(tls.map { ($0.host, $0) }) { first, _ in first }
        var result: [TLSBinding] = []
        for (host, names) in aliases.sorted(by: { $0.key.description < $1.key.description }) {
            guard let binding = byHost[host] else { continue }
            for name in names where byHost[name] == nil {
                result.append(TLSBinding(host: name, certificate: binding.certificate, ingress: binding.ingress, clientCertificates: binding.clientCertificates))
            }
        }
        for twin in twins {
            guard let binding = byHost[twin.to], byHost[twin.from] == nil else { continue }
            result.append(TLSBinding(host: twin.from, certificate: binding.certificate, ingress: binding.ingress, clientCertificates: binding.clientCertificates))
        }
        return result
    }

    private mutating func warn(_ entry: Accepted, field: String, _ message: String) {
        self.diagnostics.append(
            Diagnostic(.warning, file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object,
                       field: field, message: message))
    }
}
