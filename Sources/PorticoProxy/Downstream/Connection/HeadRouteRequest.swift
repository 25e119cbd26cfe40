import PorticoRouting

/// A parsed request head as the router's conditions read it (an HTTPRoute's method, header and
/// query matches): positions into the head bytes and a borrowed view of its fields, no copy
/// and no retain. Lives only inside the closures that hold the bytes and the fields.
struct HeadRouteRequest: RouteRequest {
    let fields: UnsafeBufferPointer<HeaderField>
    let bytes: UnsafeRawBufferPointer
    let isTLS: Bool
    let method: UnsafeRawBufferPointer
    let query: UnsafeRawBufferPointer

    /// - Parameter fields: `head.fields`, borrowed.
    init(_ head: RequestHead, fields: UnsafeBufferPointer<HeaderField>, bytes: UnsafeRawBufferPointer, isTLS: Bool) {
        self.fields = fields
        self.bytes = bytes
        self.isTLS = isTLS
        self.method = UnsafeRawBufferPointer(rebasing: bytes[0..<head.methodEnd])
        self.query = UnsafeRawBufferPointer(rebasing: bytes[head.pathEnd..<head.targetEnd])
    }

    func headerValue(lowercasedName name: [UInt8]) -> UnsafeRawBufferPointer? {
        RequestHead.valueRange(of: name, in: self.fields, bytes: self.bytes).map { UnsafeRawBufferPointer(rebasing: self.bytes[$0]) }
    }
}
