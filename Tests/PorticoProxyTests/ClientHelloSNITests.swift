import Testing

@testable import PorticoProxy

/// The SNI name `ssl-passthrough` routes on, read off a ClientHello's first record without
/// sockets: whole, split, absent, or not TLS at all.
@Suite struct ClientHelloSNITests {
    /// A minimal TLS 1.2-style ClientHello record, with a server_name extension when `name` is given.
    static func clientHello(_ name: String?, extraExtension: Bool = true) -> [UInt8] {
        func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        var extensions: [UInt8] = []
        if extraExtension { extensions += be16(0x000A) + be16(4) + be16(2) + be16(0x001D) }  // supported_groups first
        if let name {
            let host = Array(name.utf8)
            let entry = [UInt8(0)] + be16(host.count) + host
            extensions += be16(0) + be16(entry.count + 2) + be16(entry.count) + entry
        }
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0]  // version, random, no session
        body += be16(2) + [0x13, 0x01] + [1, 0] + be16(extensions.count) + extensions
        let handshake = [UInt8(1), 0] + be16(body.count) + body
        return [0x16, 0x03, 0x01] + be16(handshake.count) + handshake
    }

    static func parse(_ bytes: [UInt8]) -> ClientHelloSNI.Result { bytes.withUnsafeBytes { ClientHelloSNI.parse($0) } }

    @Test func theNameIsReadLowerCasedWithoutItsTrailingDot() {
        #expect(Self.parse(Self.clientHello("Pass.Example.COM.")) == .name("pass.example.com"))
        #expect(Self.parse(Self.clientHello("a.test", extraExtension: false)) == .name("a.test"))
    }

    @Test func aSplitRecordWaitsAndOthersAreNotPassedThrough() {
        let hello = Self.clientHello("a.test")
        for cut in [1, 4, 5, hello.count - 1] { #expect(Self.parse(Array(hello.prefix(cut))) == .incomplete, "\(cut) bytes") }
        #expect(Self.parse(Self.clientHello(nil)) == .none)
        #expect(Self.parse(Array("GET / HTTP/1.1\r\n\r\n".utf8)) == .none)
        #expect(Self.parse([0x16, 0x03, 0x01, 0xFF, 0xFF]) == .none)  // longer than a record may be
        var truncated = hello
        truncated[6] = 0xFF  // a handshake length past the record
        #expect(Self.parse(truncated) == .none)
    }
}
