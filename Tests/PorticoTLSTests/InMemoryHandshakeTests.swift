import CPorticoOpenSSL
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import PorticoRouting
import PorticoTLS
import Testing

/// Full TLS handshakes between a real OpenSSL client and `TLSHandler`, bytes passed in
/// memory: no sockets (the model of swift-nio-ssl's back-to-back tests).
@Suite struct InMemoryHandshakeTests {
    static let certs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("certs")

    static func source(_ name: String) throws -> CertificateSource {
        CertificateSource(
            origin: "file \(name)",
            certificatePEM: Array(try Data(contentsOf: certs.appendingPathComponent("\(name).crt"))),
            keyPEM: Array(try Data(contentsOf: certs.appendingPathComponent("\(name).key"))))
    }

    static func store() throws -> CertificateStore {
        let bindings = [
            TLSBinding(host: .wildcard(suffix: "nip.io"), certificate: try source("nip-io"), ingress: "default/a"),
            TLSBinding(host: .wildcard(suffix: "sslip.io"), certificate: try source("sslip-io"), ingress: "default/b"),
        ]
        let built = try CertificateStore.build(bindings: bindings, defaultCertificate: nil, options: TLSOptions())
        #expect(built.diagnostics.isEmpty)
        return built.store
    }

    /// A client SSL over memory BIOs.
    final class Client {
        let context: OpaquePointer
        let ssl: OpaquePointer
        let readBIO: OpaquePointer
        let writeBIO: OpaquePointer

        init(serverName: String?, maxVersion: Int32 = TLS1_3_VERSION) {
            self.context = SSL_CTX_new(TLS_client_method())!
            _ = CPorticoOpenSSL_SSL_CTX_set_max_proto_version(self.context, maxVersion)
            _ = CPorticoOpenSSL_SSL_CTX_set_min_proto_version(self.context, TLS1_VERSION)
            SSL_CTX_set_security_level(self.context, 0)
            self.ssl = SSL_new(self.context)!
            self.readBIO = BIO_new(BIO_s_mem())!
            self.writeBIO = BIO_new(BIO_s_mem())!
            SSL_set_bio(self.ssl, self.readBIO, self.writeBIO)
            SSL_set_connect_state(self.ssl)
            if let serverName { _ = CPorticoOpenSSL_SSL_set_tlsext_host_name(self.ssl, serverName) }
        }

        deinit {
            SSL_free(self.ssl)
            SSL_CTX_free(self.context)
        }

        func handshake() -> Bool { SSL_do_handshake(self.ssl) == 1 }

        func outgoing() -> ByteBuffer? {
            let pending = BIO_ctrl_pending(self.writeBIO)
            guard pending > 0 else { return nil }
            var bytes = [UInt8](repeating: 0, count: Int(pending))
            let count = BIO_read(self.writeBIO, &bytes, Int32(pending))
            return ByteBuffer(bytes: bytes[0..<Int(max(0, count))])
        }

        func incoming(_ buffer: ByteBuffer) {
            _ = buffer.withUnsafeReadableBytes { BIO_write(self.readBIO, $0.baseAddress, Int32($0.count)) }
        }

        func write(_ text: String) {
            var bytes = Array(text.utf8)
            _ = SSL_write(self.ssl, &bytes, Int32(bytes.count))
        }

        func read() -> String {
            var bytes = [UInt8](repeating: 0, count: 4096)
            let count = SSL_read(self.ssl, &bytes, Int32(bytes.count))
            return count > 0 ? String(decoding: bytes[0..<Int(count)], as: UTF8.self) : ""
        }

        var peerSubject: String? {
            guard let certificate = SSL_get1_peer_certificate(self.ssl) else { return nil }
            defer { X509_free(certificate) }
            var buffer = [CChar](repeating: 0, count: 256)
            X509_NAME_oneline(X509_get_subject_name(certificate), &buffer, Int32(buffer.count))
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        var version: String { String(cString: SSL_get_version(self.ssl)) }

        /// Reads whatever the server sent after the handshake (TLS 1.3 session tickets).
        func drainPostHandshake() { _ = self.read() }

        var session: OpaquePointer? { SSL_get1_session(self.ssl) }

        func resume(_ session: OpaquePointer) { SSL_set_session(self.ssl, session) }

        var reused: Bool { SSL_session_reused(self.ssl) == 1 }
    }

    /// Passes bytes both ways until neither side has anything to say.
    func interact(_ client: Client, _ channel: EmbeddedChannel) throws {
        for _ in 0..<20 {
            _ = client.handshake()
            var moved = false
            while let bytes = client.outgoing() {
                try channel.writeInbound(bytes)
                moved = true
            }
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                client.incoming(bytes)
                moved = true
            }
            if !moved { return }
        }
    }

    func channel(_ store: CertificateStore) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSHandler(store: store, logger: Logger(label: "test")))
        return channel
    }

    @Test(arguments: [
        ("a.nip.io", "/CN=*.nip.io"),
        ("b.sslip.io", "/CN=*.sslip.io"),
        ("unknown.test", "/O=Acme Co/CN=Kubernetes Ingress Controller Fake Certificate"),
    ])
    func sniSelectsTheCertificate(serverName: String, subject: String) throws {
        let channel = try self.channel(try Self.store())
        let client = Client(serverName: serverName)
        try self.interact(client, channel)
        #expect(client.handshake())
        #expect(client.peerSubject == subject)
        #expect(client.version == "TLSv1.3")

        // Application data both ways.
        client.write("GET / HTTP/1.1\r\n\r\n")
        try self.interact(client, channel)
        let plaintext = try channel.readInbound(as: ByteBuffer.self)
        #expect(plaintext.map { String(buffer: $0) } == "GET / HTTP/1.1\r\n\r\n")
        try channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")).wait()
        try self.interact(client, channel)
        #expect(client.read() == "HTTP/1.1 200 OK\r\n\r\n")
        _ = try? channel.finish()
    }

    /// The plaintext of one flush goes out as one TLS record (a response head and its body
    /// written apart used to cost two records and two AEAD passes); a body larger than a record
    /// is cut at the record size, and the client reads it all back in order.
    @Test func oneFlushIsOneRecord() throws {
        let channel = try self.channel(try Self.store())
        let client = Client(serverName: "a.nip.io")
        try self.interact(client, channel)
        #expect(client.handshake())
        client.drainPostHandshake()
        func records(_ ciphertext: ByteBuffer) -> [Int] {
            // A record: content type (0x17 application data), version (2 bytes), length (2 bytes).
            var buffer = ciphertext
            var lengths: [Int] = []
            while buffer.readableBytes >= 5, let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
                let length = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt16.self)
            {
                if type == 0x17 { lengths.append(Int(length)) }
                buffer.moveReaderIndex(forwardBy: 5 + Int(length))
            }
            return lengths
        }
        func flushed(_ writes: [String]) throws -> [Int] {
            for text in writes { channel.write(ByteBuffer(string: text), promise: nil) }
            channel.flush()
            var all: [Int] = []
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                all += records(bytes)
                client.incoming(bytes)
            }
            return all
        }
        #expect(try flushed(["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok"]).count == 1)
        #expect(client.read() == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let large = String(repeating: "x", count: 40_000)
        #expect(try flushed(["HTTP/1.1 200 OK\r\n\r\n", large]).count == 3)
        var received = ""
        while received.utf8.count < 40_019 {
            let more = client.read()
            if more.isEmpty { break }
            received += more
        }
        #expect(received == "HTTP/1.1 200 OK\r\n\r\n" + large)
        _ = try? channel.finish()
    }

    /// ssl-session-cache and ssl-session-tickets each resume on their own; with neither, every
    /// handshake is full.
    @Test(arguments: [(true, false), (false, true), (true, true), (false, false)])
    func sessionResumption(cache: Bool, tickets: Bool) throws {
        var options = TLSOptions()
        options.sessionCache = cache
        options.sessionTickets = tickets
        let enabled = cache || tickets
        let bindings = [TLSBinding(host: .wildcard(suffix: "nip.io"), certificate: try Self.source("nip-io"), ingress: "default/a")]
        let store = try CertificateStore.build(bindings: bindings, defaultCertificate: nil, options: options).store

        let first = Client(serverName: "a.nip.io")
        try self.interact(first, try self.channel(store))
        first.drainPostHandshake()
        let session = try #require(first.session)
        defer { SSL_SESSION_free(session) }

        let second = Client(serverName: "a.nip.io")
        second.resume(session)
        try self.interact(second, try self.channel(store))
        #expect(second.handshake())
        #expect(second.reused == enabled)  // a returning client skips the full handshake
    }

    @Test func aBrokenReplacementKeepsTheLastGoodCertificate() throws {
        let good = [TLSBinding(host: .wildcard(suffix: "nip.io"), certificate: try Self.source("nip-io"), ingress: "default/a")]
        let first = try CertificateStore.build(bindings: good, defaultCertificate: nil, options: TLSOptions()).store
        let broken = CertificateSource(origin: "Secret default/nip-io", certificatePEM: Array("garbage".utf8), keyPEM: [])
        let rebuilt = try CertificateStore.build(
            bindings: [TLSBinding(host: .wildcard(suffix: "nip.io"), certificate: broken, ingress: "default/a")],
            defaultCertificate: nil, options: TLSOptions(), previous: first)
        #expect(rebuilt.store.subject(forServerName: "a.nip.io") == "/CN=*.nip.io")
        #expect(rebuilt.diagnostics.first?.message.contains("keeps its last good certificate") == true)
        // Without a previous store the host falls back to the default certificate.
        let fresh = try CertificateStore.build(
            bindings: [TLSBinding(host: .wildcard(suffix: "nip.io"), certificate: broken, ingress: "default/a")],
            defaultCertificate: nil, options: TLSOptions())
        #expect(fresh.store.subject(forServerName: "a.nip.io").contains("Fake Certificate"))
    }

    @Test func tls11IsRefused() throws {
        let channel = try self.channel(try Self.store())
        let client = Client(serverName: "a.nip.io", maxVersion: TLS1_1_VERSION)
        try self.interact(client, channel)
        #expect(!client.handshake())
        #expect(!channel.isActive)  // the handler closed the connection
    }

    @Test func brokenCertificatesAreDiagnosed() throws {
        let good = try Self.source("nip-io")
        let mismatched = CertificateSource(origin: "Secret default/bad", certificatePEM: good.certificatePEM, keyPEM: try Self.source("sslip-io").keyPEM)
        let garbage = CertificateSource(origin: "Secret default/garbage", certificatePEM: Array("nope".utf8), keyPEM: [])
        let wrongHost = TLSBinding(host: .exact("other.example"), certificate: good, ingress: "default/c")
        let built = try CertificateStore.build(
            bindings: [
                TLSBinding(host: .wildcard(suffix: "bad.test"), certificate: mismatched, ingress: "default/a"),
                TLSBinding(host: .exact("garbage.test"), certificate: garbage, ingress: "default/b"), wrongHost,
            ],
            defaultCertificate: nil, options: TLSOptions())
        let messages = built.diagnostics.map(\.description)
        #expect(messages.count == 3)
        #expect(messages.contains { $0.contains("Secret default/bad") && $0.contains("keyMismatch") })
        #expect(messages.contains { $0.contains("Secret default/garbage") && $0.contains("invalidPEM") })
        #expect(messages.contains { $0.contains("nameMismatch") && $0.contains("other.example") })
        #expect(built.store.subject(forServerName: "x.bad.test").contains("Fake Certificate"))
    }
}
