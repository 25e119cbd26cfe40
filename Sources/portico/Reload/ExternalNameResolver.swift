import Dispatch
import Foundation
import Logging
import PorticoRouting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Resolves the DNS names of ExternalName Services into endpoints, on the control plane: the
/// lookup (getaddrinfo) runs on a background queue, never on an event loop, and its result is
/// swapped in like any endpoint change. A name that does not resolve leaves the backend without
/// endpoints (503) with one log line per change.
///
/// Loopback answers are refused unless allowed, as ingress-nginx refuses `localhost`: an
/// Ingress author must not reach the controller's own loopback services through a Service.
final class ExternalNameResolver: Sendable {
    let allowLoopback: Bool
    private let lastAnswers = Mutex<[String: [String]]>([:])

    init(allowLoopback: Bool) {
        self.allowLoopback = allowLoopback
    }

    /// The snapshot with every ExternalName backend's endpoints resolved now.
    func resolve(_ snapshot: RoutingSnapshot, logger: Logger) async -> RoutingSnapshot {
        guard snapshot.backends.contains(where: { $0.externalName != nil }) else { return snapshot }
        var backends = snapshot.backends
        for (index, backend) in backends.enumerated() {
            guard let name = backend.externalName else { continue }
            let addresses = await Self.lookup(name.host).filter { self.allowLoopback || !Self.isLoopback($0) }
            let previous = self.lastAnswers.withLock { answers in
                defer { answers[name.host] = addresses }
                return answers[name.host]
            }
            if previous != addresses {
                if addresses.isEmpty {
                    logger.warning("ExternalName \(name.host) (\(backend.ref)) does not resolve to a usable address; requests get 503")
                } else {
                    logger.info("ExternalName \(name.host) (\(backend.ref)) resolves to \(addresses.joined(separator: ", "))")
                }
            }
            backends[index] = backend.resolved(
                addresses.map { Endpoint(address: $0, port: name.port) },
                reason: addresses.isEmpty ? "ExternalName \(name.host) does not resolve" : nil)
        }
        return snapshot.replacingBackends(backends)
    }

    /// IP addresses of `host`, sorted; empty when it does not resolve.
    static func lookup(_ host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(first) }
                var addresses = Set<String>()
                var cursor: UnsafeMutablePointer<addrinfo>? = first
                while let entry = cursor {
                    var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                        addresses.insert(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                    }
                    cursor = entry.pointee.ai_next
                }
                continuation.resume(returning: addresses.sorted())
            }
        }
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1"
    }
}
