/// `upstream-vhost`: the Host header sent upstream, with the nginx variables ingress-nginx's
/// template leaves for nginx to expand (`proxy_set_header Host "{{ $location.UpstreamVhost }}"`,
/// rootfs/etc/nginx/template/nginx.tmpl).
///
/// The variables each location `set`s (`$namespace`, `$ingress_name`, `$service_name`,
/// `$service_port`) are fixed per route, so the compiler substitutes them; `$host`, `$http_host`
/// and `$best_http_host` come from the request and are the only parts written per request. Any
/// other variable would make nginx refuse the configuration ("unknown variable"), so the
/// compiler refuses it too. Linkerd's recipe is
/// `$service_name.$namespace.svc.cluster.local:8084`.
public struct UpstreamHostTemplate: Hashable, Sendable, CustomStringConvertible {
    public enum Part: Hashable, Sendable {
        case literal([UInt8])
        /// `$host`: the request's host, lower-cased, without port (nginx `ngx_http_validate_host`).
        case host
        /// `$http_host` / `$best_http_host`: the Host value as received, port included.
        case httpHost
        /// Substituted by `resolved(_:)`.
        case namespace, ingressName, serviceName, servicePort
    }

    public let parts: [Part]
    public let description: String

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses `$name` and `${name}` references; everything else is literal.
    public static func parse(_ text: String) -> Result<UpstreamHostTemplate, ParseError> {
        var parts: [Part] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal.removeAll()
        }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "$") else {
                literal.append(byte)
                index += 1
                continue
            }
            var start = index + 1
            var end = start
            let braced = start < bytes.count && bytes[start] == UInt8(ascii: "{")
            if braced { start += 1; end = start }
            while end < bytes.count, Self.isNameByte(bytes[end]) { end += 1 }
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            if braced {
                guard end < bytes.count, bytes[end] == UInt8(ascii: "}") else {
                    return .failure(ParseError(description: "\"${\" without a closing \"}\""))
                }
            }
            guard let part = Self.variable(name) else {
                return .failure(ParseError(description:
                    name.isEmpty
                        ? "a \"$\" without a variable name"
                        : "$\(name) is not a variable nginx knows here (use $service_name, $namespace, $ingress_name, $service_port, $host, $http_host or $best_http_host)"))
            }
            flush()
            parts.append(part)
            index = braced ? end + 1 : end
        }
        flush()
        guard !parts.isEmpty else { return .failure(ParseError(description: "empty")) }
        return .success(UpstreamHostTemplate(parts: parts, description: text))
    }

    init(parts: [Part], description: String) {
        self.parts = parts
        self.description = description
    }

    /// The template for one route, with the location's own variables filled in; adjacent
    /// literals are merged so a fully static Host is one write.
    public func resolved(namespace: String, ingressName: String, serviceName: String, servicePort: String) -> UpstreamHostTemplate {
        var parts: [Part] = []
        func append(_ bytes: some Sequence<UInt8>) {
            if case .literal(let previous)? = parts.last {
                parts[parts.count - 1] = .literal(previous + bytes)
            } else {
                parts.append(.literal(Array(bytes)))
            }
        }
        for part in self.parts {
            switch part {
            case .literal(let bytes): append(bytes)
            case .namespace: append(namespace.utf8)
            case .ingressName: append(ingressName.utf8)
            case .serviceName: append(serviceName.utf8)
            case .servicePort: append(servicePort.utf8)
            case .host, .httpHost: parts.append(part)
            }
        }
        return UpstreamHostTemplate(parts: parts, description: self.description)
    }

    /// Writes the Host value for a request whose Host header is `hostValue` (nil: none).
    @inlinable
    public func render(hostValue: UnsafeRawBufferPointer?, into write: (UnsafeRawBufferPointer) -> Void) {
        for part in self.parts {
            switch part {
            case .literal(let bytes):
                bytes.withUnsafeBytes(write)
            case .httpHost:
                if let hostValue { write(hostValue) }
            case .host:
                guard let hostValue, let range = HostBytes.hostRange(of: hostValue) else { continue }
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: range.count) { lowered in
                    for (offset, index) in range.enumerated() { lowered[offset] = HostBytes.lower(hostValue[index]) }
                    write(UnsafeRawBufferPointer(lowered))
                }
            case .namespace, .ingressName, .serviceName, .servicePort:
                continue  // substituted by `resolved`; never left in a route's template
            }
        }
    }

    static func variable(_ name: String) -> Part? {
        switch name {
        case "host": .host
        case "http_host", "best_http_host": .httpHost
        case "namespace": .namespace
        case "ingress_name": .ingressName
        case "service_name": .serviceName
        case "service_port": .servicePort
        default: nil
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        HostBytes.isLabelByte(byte) && byte != UInt8(ascii: "-")
    }
}
