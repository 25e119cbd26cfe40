import PorticoDiagnostics
import Synchronization

/// The diagnostics standing now, for `/routes`: those of the last load, and those of the last
/// certificate store built (a load that changes no TLS input builds none, so its certificate
/// problems still stand).
final class CurrentDiagnostics: Sendable {
    private let state = Mutex<(load: [Diagnostic], certificates: [Diagnostic])>(([], []))

    func loaded(_ diagnostics: [Diagnostic]) { self.state.withLock { $0.load = diagnostics } }

    /// A new certificate store was built, with these problems.
    func certificatesBuilt(_ diagnostics: [Diagnostic]) { self.state.withLock { $0.certificates = diagnostics } }

    var all: [Diagnostic] { self.state.withLock { $0.load + $0.certificates } }
}
