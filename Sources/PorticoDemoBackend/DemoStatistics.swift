import Synchronization

/// Counts what demo backends received, so a test can wait for "the request reached the
/// backend" instead of sleeping and hoping.
public final class DemoStatistics: Sendable {
    private let started = Atomic<Int>(0)
    private let log = Mutex<[String]>([])

    public init() {}

    /// What got through, in order: `HEAD <method> <target>` when a head arrived and
    /// `END <method> <target> <body bytes>` when the whole request did.
    public var received: [String] { self.log.withLock { $0 } }

    func record(_ line: String) {
        self.log.withLock { $0.append(line) }
    }

    /// Requests whose head a backend has received.
    public var requestsStarted: Int { self.started.load(ordering: .relaxed) }

    func requestStarted() {
        self.started.wrappingAdd(1, ordering: .relaxed)
    }
}
