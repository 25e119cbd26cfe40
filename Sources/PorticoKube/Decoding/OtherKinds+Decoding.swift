import Foundation

extension IngressClass {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        self.controller = try reader.required("spec").required("controller").string()
        self.isDefault = metadata.annotations["ingressclass.kubernetes.io/is-default-class"] == "true"
    }
}

extension Secret {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        self.type = try reader.optionalString("type") ?? "Opaque"
        self.data = [:]
        if let data = try reader.child("data") {
            for key in try data.keys() {
                let value = try data.required(key)
                let text = try value.string().filter { !$0.isWhitespace }
                guard let decoded = Data(base64Encoded: text) else {
                    throw value.error("is not valid base64 (use stringData for plain text)")
                }
                self.data[key] = Array(decoded)
            }
        }
        for (key, value) in try reader.optionalStringMap("stringData") {
            self.data[key] = Array(value.utf8)
        }
    }
}

extension Pod {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        self.containerPorts = []
        for container in try reader.child("spec")?.optionalList("containers") ?? [] {
            for port in try container.optionalList("ports") {
                let number = try port.required("containerPort")
                let value = try number.int()
                guard (1...65535).contains(value) else { throw number.error("must be between 1 and 65535, got \(value)") }
                self.containerPorts.append(
                    ContainerPort(
                        name: try port.optionalString("name"), containerPort: value,
                        protocol: try port.optionalString("protocol") ?? "TCP"))
            }
        }
        let status = try reader.child("status")
        self.podIP = try status?.optionalString("podIP")
        if let ip = self.podIP, !IPAddressText.isValid(ip) {
            throw try status!.required("podIP").error("\"\(ip)\" is not an IP address")
        }
        var ready = false
        for condition in try status?.optionalList("conditions") ?? [] where try condition.optionalString("type") == "Ready" {
            ready = try condition.optionalString("status") == "True"
        }
        self.isReady = ready
    }
}

extension ConfigMap {
    /// `data` only: ingress-nginx reads no `binaryData`. A value YAML would read as a number or
    /// boolean (`hsts: true`) is taken as its text, as `kubectl apply` refuses it but the
    /// intent is plain.
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        self.data = try reader.optionalStringMap("data")
        self.dataLines = [:]
        if let data = try reader.child("data") {
            for key in try data.keys() { self.dataLines[key] = try data.required(key).line }
        }
    }
}
