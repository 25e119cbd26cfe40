import NIOCore
import PorticoRouting

extension ProxyConnectionHandler {
    /// The endpoint the request's affinity cookie names, if any (a `name=value` pair of the
    /// Cookie field, RFC 6265 §5.4).
    func endpointFromCookie(_ affinity: CookieAffinity, backend: ProxyBackend) -> ProxyEndpoint? {
        guard let range = self.head.cookie else { return nil }
        let name = affinity.nameBytes
        return self.inbound.withUnsafeReadableBytes { bytes -> ProxyEndpoint? in
            let value = UnsafeRawBufferPointer(rebasing: bytes[range])
            var start = 0
            while start < value.count {
                var end = start
                while end < value.count, value[end] != UInt8(ascii: ";") { end += 1 }
                var pairStart = start
                while pairStart < end, value[pairStart] == HTTPBytes.sp { pairStart += 1 }
                let pair = UnsafeRawBufferPointer(rebasing: value[pairStart..<end])
                if pair.count > name.count, pair[name.count] == UInt8(ascii: "="), pair.prefix(name.count).elementsEqual(name) {
                    return backend.endpoint(forCookie: UnsafeRawBufferPointer(rebasing: pair[(name.count + 1)...]), now: .now())
                }
                start = end + 1
            }
            return nil
        }
    }

    /// `Set-Cookie` for a response whose endpoint is not the one the request's cookie named.
    func affinityCookieField() -> String? {
        guard let affinity = self.cookieAffinity, let endpoint = self.endpoint, endpoint !== self.cookieEndpoint else {
            return nil
        }
        var field = "Set-Cookie: \(affinity.name)=\(String(decoding: endpoint.cookieValue, as: UTF8.self)); Path=\(affinity.path); HttpOnly"
        if self.isTLS { field += "; Secure" }
        if let maxAge = affinity.maxAge { field += "; Max-Age=\(maxAge)" }
        return field + "\r\n"
    }
}
