extension Ingress {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        let spec = try reader.child("spec")
        self.ingressClassName = try spec?.optionalString("ingressClassName")
        self.defaultBackend = try spec?.child("defaultBackend").map { backend throws(FieldError) in
            try IngressBackend(reader: backend)
        }
        self.tls = []
        for entry in try spec?.optionalList("tls") ?? [] {
            let hosts = try entry.optionalList("hosts").map { host throws(FieldError) in try host.string() }
            self.tls.append(IngressTLS(hosts: hosts, secretName: try entry.optionalString("secretName"), line: entry.line))
        }
        self.rules = []
        for rule in try spec?.optionalList("rules") ?? [] {
            // `host: ""` is no host: the API server stores it as absent and ingress-nginx treats
            // it as the rules for every host (`k8s.io/api` IngressRule.Host is `omitempty`).
            let host = try rule.optionalString("host").flatMap { $0.isEmpty ? nil : $0 }
            var paths: [HTTPIngressPath]?
            if let http = try rule.child("http") {
                let list = try http.required("paths").list()
                guard !list.isEmpty else { throw try http.required("paths").error("must list at least one path") }
                paths = []
                for item in list { paths?.append(try HTTPIngressPath(reader: item)) }
            }
            self.rules.append(IngressRule(host: host, paths: paths, line: rule.line))
        }
        if self.rules.isEmpty && self.defaultBackend == nil {
            throw (spec ?? reader).error("an Ingress needs spec.rules or spec.defaultBackend")
        }
    }
}

extension HTTPIngressPath {
    init(reader: NodeReader) throws(FieldError) {
        let rawPath = try reader.optionalString("path") ?? ""
        self.path = rawPath.isEmpty ? "/" : rawPath
        let typeReader = try reader.required("pathType")
        let typeName = try typeReader.string()
        guard let pathType = PathType(rawValue: typeName) else {
            throw typeReader.error(
                "unsupported value \"\(typeName)\": must be one of Exact, Prefix, ImplementationSpecific")
        }
        self.pathType = pathType
        if pathType != .implementationSpecific, !self.path.hasPrefix("/") {
            throw try reader.required("path").error("must be an absolute path (start with '/') for pathType \(typeName)")
        }
        self.backend = try IngressBackend(reader: try reader.required("backend"))
        self.line = reader.line
    }
}

extension IngressBackend {
    init(reader: NodeReader) throws(FieldError) {
        self.line = reader.line
        self.field = reader.path
        let service = try reader.child("service")
        let resource = try reader.child("resource")
        switch (service, resource) {
        case (let service?, nil):
            let name = try service.required("name").string()
            let port = try service.required("port")
            let number = try port.child("number")
            let portName = try port.child("name")
            switch (number, portName) {
            case (let number?, nil):
                let value = try number.int()
                guard (1...65535).contains(value) else { throw number.error("must be between 1 and 65535, got \(value)") }
                self.target = .service(name: name, port: .number(value))
            case (nil, let portName?):
                self.target = .service(name: name, port: .name(try portName.string()))
            case (nil, nil):
                throw port.error("one of port.number or port.name is required")
            case (_?, _?):
                throw port.error("port.number and port.name are mutually exclusive")
            }
        case (nil, let resource?):
            self.target = .resource(
                kind: try resource.required("kind").string(), name: try resource.required("name").string())
        case (nil, nil):
            throw reader.error("one of service or resource is required")
        case (_?, _?):
            throw reader.error("service and resource are mutually exclusive")
        }
    }
}
