/// v1 Secret; `data` is base64-decoded, `stringData` merged over it, as the API server does.
public struct Secret: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var type: String
    public var data: [String: [UInt8]]

    public init(metadata: ObjectMeta, location: SourceLocation, type: String = "Opaque", data: [String: [UInt8]]) {
        self.metadata = metadata
        self.location = location
        self.type = type
        self.data = data
    }
}
