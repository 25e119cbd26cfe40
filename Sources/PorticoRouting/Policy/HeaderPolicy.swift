/// Header changes a route asks for through the snippet directives Portico translates
/// (`configuration-snippet`): `more_set_headers`/`more_clear_headers` (headers-more: every
/// answer, the upstream's fields of those names replaced or removed), `add_header` (nginx: on
/// 2xx and redirects, or every answer with `always`), `proxy_set_header` (the request sent
/// upstream, the client's field of that name replaced; an empty value removes it); and the
/// header ConfigMaps: the controller's `add-headers` (every answer) and `proxy-set-headers`
/// (every upstream request), an Ingress's `custom-headers` (its answers); and an HTTPRoute's
/// `RequestHeaderModifier`/`ResponseHeaderModifier` (`set` and `remove` as above, `add` as an
/// extra field line beside the client's or the upstream's). Layers stack: a location's field
/// replaces the controller's of the same name.
public struct HeaderPolicy: Hashable, Sendable {
    /// A field as written: the lower-cased name to match, and the `Name: value\r\n` line
    /// (empty for an empty value: the field is only removed).
    public struct Field: Hashable, Sendable {
        public let name: [UInt8]
        public let line: [UInt8]

        public init(name: String, value: String) {
            self.name = Array(name.lowercased().utf8)
            self.line = value.isEmpty ? [] : Array("\(name): \(value)\r\n".utf8)
        }
    }

    /// Upstream answer fields not relayed: those set or cleared here.
    public let replacedResponseNames: [[UInt8]]
    /// Lines on every answer (`more_set_headers`, `add_header … always`).
    public let everyAnswerLines: [UInt8]
    /// Lines on 2xx and redirect answers only (`add_header`).
    public let successAnswerLines: [UInt8]
    /// Client fields not forwarded, and the lines sent instead (`proxy_set_header`).
    public let replacedRequestNames: [[UInt8]]
    public let requestLines: [UInt8]

    /// What it was built from, for layering.
    let responseSet: [Field]
    let responseClear: [String]
    let responseAdd: [Field]
    let responseAddAlways: [Field]
    let requestSet: [Field]
    let requestAdd: [Field]

    public init(
        responseSet: [Field] = [], responseClear: [String] = [], responseAdd: [Field] = [], responseAddAlways: [Field] = [],
        requestSet: [Field] = [], requestAdd: [Field] = []
    ) {
        self.responseSet = responseSet
        self.responseClear = responseClear
        self.responseAdd = responseAdd
        self.responseAddAlways = responseAddAlways
        self.requestSet = requestSet
        self.requestAdd = requestAdd
        self.replacedResponseNames = responseSet.map(\.name) + responseClear.map { Array($0.lowercased().utf8) }
        self.everyAnswerLines = (responseSet + responseAddAlways).flatMap(\.line)
        self.successAnswerLines = responseAdd.flatMap(\.line)
        self.replacedRequestNames = requestSet.map(\.name)
        self.requestLines = (requestSet + requestAdd).flatMap(\.line)
    }

    /// This policy over `base`: `base`'s fields whose names this one sets or clears give way.
    public func layered(over base: HeaderPolicy?) -> HeaderPolicy {
        guard let base else { return self }
        let response = Set(self.responseSet.map(\.name) + self.responseClear.map { Array($0.lowercased().utf8) }
            + self.responseAdd.map(\.name) + self.responseAddAlways.map(\.name))
        let request = Set(self.requestSet.map(\.name) + self.requestAdd.map(\.name))
        return HeaderPolicy(
            responseSet: base.responseSet.filter { !response.contains($0.name) } + self.responseSet,
            responseClear: base.responseClear.filter { !response.contains(Array($0.lowercased().utf8)) } + self.responseClear,
            responseAdd: base.responseAdd.filter { !response.contains($0.name) } + self.responseAdd,
            responseAddAlways: base.responseAddAlways.filter { !response.contains($0.name) } + self.responseAddAlways,
            requestSet: base.requestSet.filter { !request.contains($0.name) } + self.requestSet,
            requestAdd: base.requestAdd.filter { !request.contains($0.name) } + self.requestAdd)
    }
}
