internal import CPorticoOpenSSL
import PorticoRouting

/// One SSL_CTX: TLS 1.2–1.3 server settings plus one certificate chain and key.
final class TLSContext: @unchecked Sendable {
    // @unchecked: configured once in init, then only used to create SSL objects (thread-safe
    // in OpenSSL) or switched to from the servername callback.
    let context: OpaquePointer
    let pair: CertificateKeyPair

    /// `clientCertificates`: the host's `auth-tls-*`, so its handshakes ask for a certificate.
    init(pair: CertificateKeyPair, options: TLSOptions, clientCertificates: ClientCertificatePolicy.Handshake? = nil) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drain(.contextSetup) }
        self.context = context
        self.pair = pair
        // SSL_OP_CIPHER_SERVER_PREFERENCE (bit 22): ssl_prefer_server_ciphers on.
        var options64: UInt64 = 1 << 22
        // SSL_OP_NO_RENEGOTIATION (bit 30): clients may not renegotiate (a DoS lever).
        options64 |= 1 << 30
        // SSL_OP_IGNORE_UNEXPECTED_EOF (bit 7): a client closing without close_notify (most do)
        // is not a fatal error, which would also evict its session from the cache (OpenSSL 3).
        options64 |= 1 << 7
        if !options.sessionTickets { options64 |= 1 << 14 }  // SSL_OP_NO_TICKET: ssl-session-tickets off
        SSL_CTX_set_options(context, options64)
        // SSL_MODE_RELEASE_BUFFERS: an idle connection gives its record buffers (up to 34 KiB
        // read + write) back until its next record, as nginx sets in ngx_ssl_create.
        _ = CPorticoOpenSSL_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        guard CPorticoOpenSSL_SSL_CTX_set_min_proto_version(context, options.lowestVersion) == 1,
            CPorticoOpenSSL_SSL_CTX_set_max_proto_version(context, options.highestVersion) == 1,
            SSL_CTX_set_cipher_list(context, options.cipherList) == 1,
            CPorticoOpenSSL_SSL_CTX_set1_groups_list(context, options.groups) == 1
        else { throw TLSError.drain(.contextSetup, "protocol versions, cipher list or groups") }
        if options.sessionCache {
            // shared:SSL:10m holds about 40,000 sessions; ssl_session_timeout 10m.
            CPorticoOpenSSL_SSL_CTX_sess_set_cache_size(context, 40_000)
            SSL_CTX_set_timeout(context, options.sessionTimeoutSeconds)
        } else {
            CPorticoOpenSSL_SSL_CTX_set_session_cache_mode(context, 0)  // SSL_SESS_CACHE_OFF
        }
        if !options.sessionResumption { SSL_CTX_set_num_tickets(context, 0) }
        guard SSL_CTX_use_certificate(context, pair.leaf) == 1 else {
            throw TLSError.drain(.contextSetup, "using the certificate")
        }
        for intermediate in pair.chain where CPorticoOpenSSL_SSL_CTX_add1_chain_cert(context, intermediate) != 1 {
            throw TLSError.drain(.contextSetup, "adding a chain certificate")
        }
        guard SSL_CTX_use_PrivateKey(context, pair.key) == 1, SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.drain(.keyMismatch, "using the private key")
        }
        // The callback's argument says whether `h2` may be chosen (any non-nil pointer).
        // Sessions resume only in the context (host and client-certificate settings) that made
        // them; OpenSSL refuses to resume without a session ID context once peers are verified.
        var sessionContext = Array("portico".utf8)
        if let client = clientCertificates {
            try Self.askForClientCertificates(context, client)
            var hasher = Hasher()
            hasher.combine(client)
            sessionContext += withUnsafeBytes(of: hasher.finalize()) { Array($0) }
        }
        guard SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count)) == 1 else {
            throw TLSError.drain(.contextSetup, "session ID context")
        }
        SSL_CTX_set_alpn_select_cb(context, selectALPN, options.http2 ? UnsafeMutableRawPointer(bitPattern: 1) : nil)
    }

    deinit {
        SSL_CTX_free(self.context)
    }

    /// nginx's `ssl_client_certificate`, `ssl_verify_client`, `ssl_verify_depth`, `ssl_crl`:
    /// the CAs trusted and named in the certificate request, peers asked for a certificate but
    /// never refused in the handshake (nginx's verify callback accepts everything and the
    /// request phase answers 400), the chain depth, the revocation list.
    private static func askForClientCertificates(_ context: OpaquePointer, _ client: ClientCertificatePolicy.Handshake) throws(TLSError) {
        guard client.verify != .off else { return }
        let store = SSL_CTX_get_cert_store(context)
        var added = 0
        var failure: TLSError?
        client.caPEM.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return }
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                if X509_STORE_add_cert(store, certificate) == 1, SSL_CTX_add_client_CA(context, certificate) == 1 { added += 1 }
                X509_free(certificate)
            }
        }
        ERR_clear_error()
        guard added > 0 else { throw TLSError(kind: .invalidPEM, detail: "\(client.secret): no PEM CA certificate in ca.crt") }
        if let crl = client.crlPEM {
            crl.withUnsafeBytes { bytes in
                guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return }
                defer { BIO_free(bio) }
                var loaded = 0
                while let list = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                    if X509_STORE_add_crl(store, list) == 1 { loaded += 1 }
                    X509_CRL_free(list)
                }
                if loaded == 0 { failure = TLSError(kind: .invalidPEM, detail: "\(client.secret): ca.crl holds no PEM CRL") }
                // X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL, as nginx's ssl_crl.
                X509_STORE_set_flags(store, 0x4 | 0x8)
            }
            ERR_clear_error()
            if let failure { throw failure }
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, acceptEveryCertificate)
        // nginx's depth counts the certificates above the client's; OpenSSL's too.
        SSL_CTX_set_verify_depth(context, Int32(client.depth))
    }
}

/// nginx's `ngx_ssl_verify_callback`: the handshake never fails on the client's certificate;
/// the verify result is read after it (`$ssl_client_verify`) and the request answered then.
private let acceptEveryCertificate: @convention(c) (Int32, OpaquePointer?) -> Int32 = { _, _ in 1 }

/// ALPN (RFC 7301), the server's preference first: `h2` when HTTP/2 is on (`use-http2`), then
/// `http/1.1`. A client offering neither gets no ALPN and speaks HTTP/1.1 (§3.2 lets the server
/// ignore the extension).
private let selectALPN: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
    UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
) -> Int32 = { _, out, outLength, offered, offeredLength, http2 in
    guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
    let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
    for wanted in http2 != nil ? ALPNProtocol.preferringHTTP2 : ALPNProtocol.http1Only {
        if let start = ALPNProtocol.find(wanted, in: list) {
            out.pointee = offered + start
            outLength.pointee = UInt8(wanted.count)
            return SSL_TLSEXT_ERR_OK
        }
    }
    return SSL_TLSEXT_ERR_NOACK
}

/// The ALPN protocol names Portico speaks.
enum ALPNProtocol {
    static let h2: [UInt8] = Array("h2".utf8)
    static let http11: [UInt8] = Array("http/1.1".utf8)
    static let preferringHTTP2 = [h2, http11]
    static let http1Only = [http11]

    /// Where `name` starts in a wire-format protocol list (length-prefixed names), if offered.
    static func find(_ name: [UInt8], in list: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < list.count {
            let length = Int(list[index])
            let start = index + 1
            guard start + length <= list.count else { return nil }
            if length == name.count, list[start..<start + length].elementsEqual(name) { return start }
            index = start + length
        }
        return nil
    }
}
