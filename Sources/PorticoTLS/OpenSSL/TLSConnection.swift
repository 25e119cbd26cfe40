internal import CPorticoOpenSSL
import NIOCore
import PorticoRouting

/// One TLS session over two memory BIOs: ciphertext from the network goes into the read BIO,
/// ciphertext for the network comes out of the write BIO. Owns the SSL (which owns the BIOs)
/// and keeps its context's owner alive (the certificate store, for the servername callback).
final class TLSConnection {
    enum Result: Equatable {
        case complete
        /// OpenSSL needs more bytes from the network.
        case incomplete
        /// The peer sent close_notify.
        case closed
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private let owner: AnyObject
    /// Kept alive while the SSL may still hand it a session.
    private var sessionSlot: TLSClientSessionSlot?

    /// A server session on the store's default context (SNI switches it).
    convenience init(store: CertificateStore) throws(TLSError) {
        try self.init(context: store.defaultContext.context, owner: store)
        SSL_set_accept_state(self.ssl)
    }

    /// A client session that sends `serverName` as SNI (unless it is an IP address, RFC 6066
    /// §3) and, when the context verifies peers, checks the certificate covers it.
    /// `sendsServerName: false` verifies the name without sending it (nginx's
    /// `proxy_ssl_server_name off`).
    /// `session`: the slot of this server's last session, offered for resumption and updated
    /// with the new one.
    convenience init(client: TLSClientContext, serverName: String, sendsServerName: Bool = true, session: TLSClientSessionSlot? = nil)
        throws(TLSError)
    {
        try self.init(context: client.context, owner: client)
        SSL_set_connect_state(self.ssl)
        if let session {
            self.sessionSlot = session
            SSL_set_ex_data(self.ssl, TLSClientSessionSlot.exDataIndex, Unmanaged.passUnretained(session).toOpaque())
            session.offer(to: self.ssl)
        }
        let isAddress = IPAddressBytes.parse(serverName) != nil
        if !isAddress, sendsServerName { _ = CPorticoOpenSSL_SSL_set_tlsext_host_name(self.ssl, serverName) }
        if client.verifiesPeer {
            let parameters = SSL_get0_param(self.ssl)
            let set = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(parameters, serverName) : SSL_set1_host(self.ssl, serverName)
            guard set == 1 else { throw TLSError.drain(.contextSetup, "verifying \(serverName)") }
        }
    }

    private init(context: OpaquePointer, owner: AnyObject) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context) else { throw TLSError.drain(.contextSetup) }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.drain(.contextSetup)
        }
        SSL_set_bio(ssl, readBIO, writeBIO)  // the SSL owns both BIOs from here
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.owner = owner
    }

    deinit {
        SSL_free(self.ssl)
    }

    /// Hands ciphertext received from the network to OpenSSL.
    func consumeDataFromNetwork(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = BIO_write(self.readBIO, bytes.baseAddress! + offset, Int32(bytes.count - offset))
                if written <= 0 { break }
                offset += Int(written)
            }
        }
    }

    func doHandshake() -> Result {
        ERR_clear_error()
        let rc = SSL_do_handshake(self.ssl)
        return rc == 1 ? .complete : self.classify(rc, .handshakeFailed)
    }

    /// Decrypts what is available into `buffer`.
    func readDataFromNetwork(into buffer: inout ByteBuffer) -> Result {
        ERR_clear_error()
        var read = 0
        let rc = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 16384) { pointer -> Int in
            let rc = SSL_read_ex(self.ssl, pointer.baseAddress, pointer.count, &read)
            return rc == 1 ? read : 0
        }
        if rc > 0 { return .complete }
        return self.classify(0, .protocolError)
    }

    /// Whether a read could return more: decrypted bytes OpenSSL holds, or ciphertext not yet
    /// looked at in the read BIO.
    var hasBufferedInput: Bool {
        SSL_has_pending(self.ssl) == 1 || BIO_ctrl_pending(self.readBIO) > 0
    }

    /// Encrypts plaintext; with memory BIOs the whole buffer is always taken.
    func writeDataToNetwork(_ buffer: ByteBuffer) -> Result {
        ERR_clear_error()
        return buffer.withUnsafeReadableBytes { bytes -> Result in
            guard bytes.count > 0 else { return .complete }
            var written = 0
            let rc = SSL_write_ex(self.ssl, bytes.baseAddress, bytes.count, &written)
            return rc == 1 ? .complete : self.classify(0, .protocolError)
        }
    }

    /// Ciphertext waiting to go to the network, or nil.
    func getDataForNetwork(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = BIO_ctrl_pending(self.writeBIO)
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: Int(pending))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(pending)) { pointer in
            Int(max(0, BIO_read(self.writeBIO, pointer.baseAddress, Int32(pending))))
        }
        return buffer
    }

    /// The peer went away without close_notify (a bare FIN or reset): mark the connection shut
    /// down both ways without sending anything, as nginx does for such connections
    /// (`SSL_set_quiet_shutdown`), so `SSL_free` keeps its session in the cache instead of
    /// evicting it as a bad one (OpenSSL `ssl_clear_bad_session`).
    func markQuietShutdown() {
        SSL_set_quiet_shutdown(self.ssl, 1)
        SSL_set_shutdown(self.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
    }

    /// Queues close_notify.
    func shutdown() {
        ERR_clear_error()
        SSL_shutdown(self.ssl)
    }

    /// The negotiated protocol version ("TLSv1.3"), for logs.
    var protocolVersion: String { String(cString: SSL_get_version(self.ssl)) }

    /// On a host that asks for client certificates (its context verifies peers): what the
    /// client presented and how it verified. Nil elsewhere.
    var clientCertificate: ClientCertificate? {
        guard SSL_get_verify_mode(self.ssl) & SSL_VERIFY_PEER != 0 else { return nil }
        guard let peer = SSL_get1_peer_certificate(self.ssl) else { return .none }
        defer { X509_free(peer) }
        let result = SSL_get_verify_result(self.ssl)
        let verify = result == Int(X509_V_OK) ? "SUCCESS" : "FAILED:" + String(cString: X509_verify_cert_error_string(result))
        return ClientCertificate(
            verify: verify, subject: Self.rfc2253(X509_get_subject_name(peer)), issuer: Self.rfc2253(X509_get_issuer_name(peer)),
            pem: Self.pem(peer))
    }

    static func rfc2253(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        // XN_FLAG_RFC2253 as nginx's `ngx_ssl_get_subject_dn`.
        X509_NAME_print_ex(bio, name, 0, CPorticoOpenSSL_XN_FLAG_RFC2253())
        return Self.drain(bio)
    }

    static func pem(_ certificate: OpaquePointer) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        PEM_write_bio_X509(bio, certificate)
        return Self.drain(bio)
    }

    static func drain(_ bio: OpaquePointer) -> String {
        var bytes = [UInt8](repeating: 0, count: CPorticoOpenSSL_BIO_pending(bio))
        let count = BIO_read(bio, &bytes, Int32(bytes.count))
        return String(decoding: bytes.prefix(max(0, Int(count))), as: UTF8.self)
    }

    /// ALPN chose `h2`.
    var negotiatedHTTP2: Bool {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &name, &length)
        guard let name, length == 2 else { return false }
        return name[0] == UInt8(ascii: "h") && name[1] == UInt8(ascii: "2")
    }

    /// The negotiated version, for the handshake counters.
    var negotiatedVersion: TLSProtocolVersion {
        switch SSL_version(self.ssl) {
        case 0x0304: .tls13
        case 0x0303: .tls12
        default: .other
        }
    }

    private func classify(_ rc: Int32, _ kind: TLSError.Kind) -> Result {
        switch SSL_get_error(self.ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .incomplete
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: return .failed(TLSError.drain(kind))
        }
    }
}

@available(*, unavailable)
extension TLSConnection: Sendable {}
