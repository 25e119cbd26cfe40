import Testing

@testable import PorticoPasswords

/// Vectors made by independent implementations (`openssl passwd`, `htpasswd`, Python's hashlib):
/// each hash must accept its password and nothing else.
struct PasswordHashTests {
    static let vectors: [(hash: String, password: String)] = [
        ("$apr1$rOsAlT12$POkHklJUXl1TfPYtM1i0L/", "hunter2"),  // openssl passwd -apr1
        ("$apr1$x$tMwYqBfQwi3FYAr0aJc8M/", ""),  // empty password, one-byte salt
        ("$apr1$abcdefgh$6UBPr4m1K4vG31pTjfAoL0", "a-very-long-password-over-sixteen-bytes"),
        ("$1$abcdefgh$vhxKZ/s1ygZHyCEDPyqtQ/", "hunter2"),  // crypt(3) md5
        ("$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.", "hunter2"),
        ("$2y$04$rAwSpVmHNFNB2IUbZUhkcOJcAIpNmm7dFpkb5Yu3QnfDCRQwKboj6", "hunter2"),  // htpasswd -B
        ("{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter2"),  // htpasswd -s
        ("{SSHA}uyVPIZ3JCRs+VOlqbSAUnZa9lRdOYUNsNDI0Mg==", "hunter2"),  // hashlib, salt NaCl4242
        ("{PLAIN}hunter2", "hunter2"),
    ]

    @Test(arguments: Self.vectors.indices) func acceptsItsPasswordOnly(_ index: Int) {
        let (hash, password) = Self.vectors[index]
        #expect(PasswordHash.verify(password: Array(password.utf8), hash: hash), "\(hash)")
        #expect(!PasswordHash.verify(password: Array((password + "x").utf8), hash: hash), "\(hash) longer")
        #expect(!PasswordHash.verify(password: Array("Hunter2".utf8), hash: hash), "\(hash) case")
    }

    @Test func malformedHashesAcceptNothing() {
        for hash in ["", "*", "$2y$04$short", "{SSHA}", "{SSHA}!!!", "$9$unknown$scheme", "hunter2"] {
            #expect(!PasswordHash.verify(password: Array("hunter2".utf8), hash: hash), "\(hash)")
        }
    }

    @Test func basicCredentialsAsNginxReadsThem() {
        func parse(_ text: String) -> BasicCredentials? {
            var text = text
            return text.withUTF8 { BasicCredentials.parse(UnsafeRawBufferPointer($0)) }
        }
        #expect(parse("Basic YWxpY2U6czNjcjN0OndpdGg6Y29sb25z") == BasicCredentials(user: Array("alice".utf8), password: Array("s3cr3t:with:colons".utf8)))
        #expect(parse("basic   YWxpY2U6")?.password == [])  // scheme case-insensitive, spaces skipped
        #expect(parse("Bearer YWxpY2U6czNjcjN0") == nil)
        #expect(parse("Basic YWxpY2U") == nil)  // no colon
        #expect(parse("Basic ***") == nil)
        #expect(parse("Basic") == nil)
    }

    @Test func base64RoundTrips() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let encoded = Base64.encode(Array(text.utf8))
            #expect(Base64.decode(encoded) == Array(text.utf8))
        }
        #expect(String(decoding: Base64.encode(Array("foobar".utf8)), as: UTF8.self) == "Zm9vYmFy")
    }
}
