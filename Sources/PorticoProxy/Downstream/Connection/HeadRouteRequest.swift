import PorticoRouting

/// A parsed request head as the router's conditions read it (an HTTPRoute's method, header and
/// query matches): positions into the head bytes, no copy. Lives only inside the closure that
/// holds the bytes.
struct HeadRouteRequest: RouteRequest {
    let fields: [HeaderField]
    let bytes: UnsafeRawBufferPointer
    let isTLS: Bool
    let method: UnsafeRawBufferPointer
    let query: UnsafeRawBufferPointer

    init(_ head: RequestHead, bytes: UnsafeRawBufferPointer, isTLS: Bool) {
        self.fields = head.fields
        self.bytes = bytes
        self.isTLS = isTLS
        self.method = UnsafeRawBufferPointer(rebasing: bytes[0..<head.methodEnd])
        self.query = UnsafeRawBufferPointer(rebasing: bytes[head.pathEnd..<head.targetEnd])
    }

    func headerValue(lowercasedName name: [UInt8]) -> UnsafeRawBufferPointer? {
        for field in self.fields
        where field.nameEnd - field.lineStart == name.count && name.elementsEqual(self.bytes[field.lineStart..<field.nameEnd].lazy.map(HostBytes.lower)) {
            return UnsafeRawBufferPointer(rebasing: self.bytes[field.valueStart..<field.valueEnd])
        }
        return nil
    }
}
