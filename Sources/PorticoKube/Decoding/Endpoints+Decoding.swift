extension Endpoints {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        self.subsets = []
        for subset in try reader.optionalList("subsets") {
            self.subsets.append(
                EndpointSubset(
                    addresses: try subset.optionalList("addresses").map { address throws(FieldError) in
                        try EndpointAddress(reader: address)
                    },
                    notReadyAddresses: try subset.optionalList("notReadyAddresses").map { address throws(FieldError) in
                        try EndpointAddress(reader: address)
                    },
                    ports: try subset.optionalList("ports").map { port throws(FieldError) in try EndpointPort(reader: port) }
                ))
        }
    }
}

extension EndpointAddress {
    init(reader: NodeReader) throws(FieldError) {
        let ipReader = try reader.required("ip")
        self.ip = try ipReader.string()
        guard IPAddressText.isValid(self.ip) else { throw ipReader.error("\"\(self.ip)\" is not an IP address") }
        self.targetName = try reader.child("targetRef")?.optionalString("name")
    }
}

extension EndpointPort {
    init(reader: NodeReader) throws(FieldError) {
        self.name = try reader.optionalString("name")
        let portReader = try reader.required("port")
        self.port = try portReader.int()
        guard (1...65535).contains(self.port) else { throw portReader.error("must be between 1 and 65535, got \(self.port)") }
        self.protocol = try reader.optionalString("protocol") ?? "TCP"
    }
}

extension EndpointSlice {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        guard let serviceName = metadata.labels["kubernetes.io/service-name"] else {
            throw try reader.required("metadata").error(
                "labels: the kubernetes.io/service-name label is required to tie the slice to its Service")
        }
        self.serviceName = serviceName
        self.addressType = try reader.optionalString("addressType") ?? "IPv4"
        self.endpoints = []
        for endpoint in try reader.optionalList("endpoints") {
            var addresses: [String] = []
            for address in try endpoint.required("addresses").list() {
                let text = try address.string()
                guard IPAddressText.isValid(text) else { throw address.error("\"\(text)\" is not an IP address") }
                addresses.append(text)
            }
            let ready = try endpoint.child("conditions")?.optionalBool("ready")
            let target = try endpoint.child("targetRef")?.optionalString("name")
            self.endpoints.append(SliceEndpoint(addresses: addresses, ready: ready, targetName: target))
        }
        self.ports = try reader.optionalList("ports").map { port throws(FieldError) in try EndpointPort(reader: port) }
    }
}

/// IPv4 dotted-quad or IPv6 text, checked without Foundation or sockets.
public enum IPAddressText {
    public static func isValid(_ text: String) -> Bool {
        if text.contains(":") {
            return text.utf8.allSatisfy { byte in
                byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
            } && text.split(separator: ":", omittingEmptySubsequences: false).count <= 8
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && Int(part).map { $0 <= 255 } == true
        }
    }
}
