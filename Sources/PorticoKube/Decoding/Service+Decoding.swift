extension Service {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        let spec = try reader.required("spec")
        if let typeReader = try spec.child("type") {
            let typeName = try typeReader.string()
            guard let type = ServiceType(rawValue: typeName) else {
                let squashed = typeName.replacingOccurrences(of: " ", with: "")
                let hint = ServiceType.allCases.first { $0.rawValue.lowercased() == squashed.lowercased() }
                    .map { " (did you mean \"\($0.rawValue)\"?)" } ?? ""
                throw typeReader.error(
                    "unsupported value \"\(typeName)\": must be one of ClusterIP, NodePort, LoadBalancer, ExternalName\(hint)")
            }
            self.type = type
        } else {
            self.type = .clusterIP
        }
        self.selector = try spec.child("selector")?.stringMap()
        self.externalName = try spec.optionalString("externalName")
        self.clusterIP = try spec.optionalString("clusterIP")
        if let affinity = try spec.child("sessionAffinity") {
            let value = try affinity.string()
            guard value == "None" || value == "ClientIP" else {
                throw affinity.error("unsupported value \"\(value)\": must be None or ClientIP")
            }
            self.clientIPAffinity = value == "ClientIP"
        }
        if self.type == .externalName, self.externalName == nil {
            throw try spec.required("externalName").error("required for type ExternalName")
        }
        self.ports = []
        let portReaders = try spec.optionalList("ports")
        for portReader in portReaders {
            let name = try portReader.optionalString("name")
            let number = try portReader.required("port")
            let port = try number.int()
            guard (1...65535).contains(port) else { throw number.error("must be between 1 and 65535, got \(port)") }
            let targetPort = try portReader.child("targetPort")?.intOrString()
            if case .int(let target)? = targetPort, !(1...65535).contains(target) {
                throw try portReader.required("targetPort").error("must be between 1 and 65535, got \(target)")
            }
            if portReaders.count > 1, name == nil {
                throw portReader.error("name is required when a Service has more than one port")
            }
            self.ports.append(
                ServicePort(name: name, port: port, targetPort: targetPort,
                            protocol: try portReader.optionalString("protocol") ?? "TCP", appProtocol: try portReader.optionalString("appProtocol")))
        }
        if self.ports.isEmpty, self.type != .externalName {
            throw spec.error("ports: a Service needs at least one port")
        }
    }
}
