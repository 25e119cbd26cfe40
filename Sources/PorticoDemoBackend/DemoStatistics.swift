import Synchronization

/// Counts what demo backends received, so a test can wait for "the request reached the
/// backend" instead of sleeping and hoping.
public final class DemoStatistics: Sendable {
    private let started = Atomic<Int>(0)

    public init() {}

    /// Requests whose head a backend has received.
    public var requestsStarted: Int { self.started.load(ordering: .relaxed) }

    func requestStarted() {
        self.started.wrappingAdd(1, ordering: .relaxed)
    }
}
