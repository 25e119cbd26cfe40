internal import CPorticoOpenSSL
import Synchronization

/// The last resumable TLS session with one server (one upstream endpoint), so a new
/// connection to it resumes instead of doing a full handshake (nginx's
/// `proxy_ssl_session_reuse on`, its default). OpenSSL hands each new session (the TLS 1.2
/// handshake's, or a TLS 1.3 ticket after it) to `TLSClientContext`'s callback, which stores
/// it here through the SSL's ex_data; the next connection offers it.
///
/// Touched on connects and handshakes only, never per request: a lock is enough.
public final class TLSClientSessionSlot: Sendable {
    private let session = Mutex<UnsafeSessionPointer?>(nil)

    /// An `SSL_SESSION *`, owned (one reference) by the slot.
    struct UnsafeSessionPointer: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    public init() {}

    deinit {
        if let old = self.session.withLock({ $0 }) { SSL_SESSION_free(old.pointer) }
    }

    /// Keeps `session` (whose reference the caller gives up), freeing the one it replaces.
    func store(_ session: OpaquePointer) {
        let old = self.session.withLock { slot -> UnsafeSessionPointer? in
            defer { slot = UnsafeSessionPointer(pointer: session) }
            return slot
        }
        if let old { SSL_SESSION_free(old.pointer) }
    }

    /// Offers the stored session to a new client SSL (`SSL_set_session` takes its own reference).
    func offer(to ssl: OpaquePointer) {
        self.session.withLock { slot in
            if let stored = slot { _ = SSL_set_session(ssl, stored.pointer) }
        }
    }

    /// The ex_data index under which a client SSL points to its slot.
    static let exDataIndex: Int32 = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nil, nil, nil, nil)

    /// `SSL_CTX_sess_set_new_cb`: a new session for the SSL's slot; returning 1 keeps the
    /// reference OpenSSL handed over.
    static let newSession: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, session in
        guard let ssl, let session, let raw = SSL_get_ex_data(ssl, TLSClientSessionSlot.exDataIndex) else { return 0 }
        Unmanaged<TLSClientSessionSlot>.fromOpaque(raw).takeUnretainedValue().store(session)
        return 1
    }
}
