import PorticoRouting
import Testing

@Suite struct HostTableTests {
    func table() -> HostTable<String> {
        var table = HostTable<String>()
        table.set(.exact("foo.bar.com"), "exact")
        table.set(.wildcard(suffix: "bar.com"), "wildcard")
        table.set(.wildcard(suffix: "nip.io"), "nip")
        return table
    }

    @Test(arguments: [
        ("foo.bar.com", "exact"),  // exact beats wildcard
        ("FOO.Bar.COM", "exact"),  // case-insensitive
        ("baz.bar.com", "wildcard"),  // one label
        ("192-168-100-100.nip.io", "nip"),  // the seed's nip.io host
    ])
    func matches(host: String, expected: String) {
        #expect(self.table().lookup(host) == expected)
    }

    @Test(arguments: ["a.baz.bar.com", "bar.com", "192.168.100.100.nip.io", ".bar.com", "nope.example.com", ""])
    func doesNotMatch(host: String) {
        // *.bar.com matches exactly one label (Ingress API; ingress-nginx's [\w-]+ regex).
        #expect(self.table().lookup(host) == nil)
    }

    @Test func hostRangeStripsPortAndTrailingDot() {
        func host(_ value: String) -> String? {
            var value = value
            return value.withUTF8 { bytes in
                HostBytes.hostRange(of: UnsafeRawBufferPointer(bytes)).map {
                    String(decoding: UnsafeRawBufferPointer(bytes)[$0], as: UTF8.self)
                }
            }
        }
        #expect(host("foo.com:8080") == "foo.com")
        #expect(host("foo.com.") == "foo.com")
        #expect(host("[::1]:8080") == "[::1]")
        #expect(host("foo.com:") == nil)
        #expect(host("foo..com") == nil)
        #expect(host("foo com") == nil)
        #expect(host("foo.com:99999999") == nil)
    }

    @Test func patternParsing() throws {
        #expect(try HostPattern.parse("*.nip.io").get() == .wildcard(suffix: "nip.io"))
        #expect(try HostPattern.parse("Foo.COM").get() == .exact("foo.com"))
        #expect(throws: HostPatternError.self) { try HostPattern.parse("foo.*.com").get() }
        #expect(throws: HostPatternError.self) { try HostPattern.parse("bad_host!.com").get() }
    }
}
