#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers

/// Where the event loops' access-log batches go: a thread of its own does the `write(2)`, so a
/// full pipe or a slow disk never stalls a connection. An event loop only appends a finished
/// batch under a lock held for a few instructions (once per loop tick, not per request). When
/// the sink cannot keep up and `maxQueuedBytes` are waiting, new batches are dropped and counted;
/// one log line a second says how many lines were lost, as nginx's `access_log … buffer` loses
/// lines rather than blocking its workers.
final class AccessLogSink: @unchecked Sendable {
    // @unchecked: `queue`, `queuedBytes` and `droppedLines` are only touched under `lock`.
    static let maxQueuedBytes = 4 << 20

    private let fileDescriptor: Int32
    private let logger: Logger
    /// 0: nothing queued; 1: batches waiting.
    private let lock = ConditionLock(value: 0)
    private var queue: [(bytes: [UInt8], lines: Int)] = []
    private var queuedBytes = 0
    private var droppedLines = 0
    private var lastReport: UInt64 = 0

    init(fileDescriptor: Int32, logger: Logger) {
        self.fileDescriptor = fileDescriptor
        self.logger = logger
        let thread = ThreadStarter { [self] in self.run() }
        thread.start()
    }

    /// From an event loop: never blocks on I/O. The thread may be stuck in `write(2)` on a full
    /// pipe, so drops are reported from here, at most once a second.
    func submit(_ bytes: [UInt8], lines: Int) {
        self.lock.lock()
        guard self.queuedBytes + bytes.count > Self.maxQueuedBytes else {
            self.queue.append((bytes, lines))
            self.queuedBytes += bytes.count
            self.lock.unlock(withValue: 1)
            return
        }
        self.droppedLines += lines
        let report = self.takeReport()
        self.lock.unlock(withValue: self.queue.isEmpty ? 0 : 1)
        if let report { self.log(report) }
    }

    /// Under the lock: the dropped count, if a second has passed since the last report.
    private func takeReport() -> Int? {
        let now = NIODeadlineClock.now()
        guard self.droppedLines > 0, now - self.lastReport >= 1_000_000_000 else { return nil }
        let count = self.droppedLines
        self.droppedLines = 0
        self.lastReport = now
        return count
    }

    private func log(_ dropped: Int) {
        self.logger.warning("access log: \(dropped) line(s) dropped; its file or pipe is not keeping up")
    }

    private func run() {
        while true {
            if !self.lock.lock(whenValue: 1, timeoutSeconds: 1) { self.lock.lock() }
            let batches = self.queue
            self.queue = []
            self.queuedBytes = 0
            let report = self.takeReport()
            self.lock.unlock(withValue: 0)
            if let report { self.log(report) }
            var failed = 0
            for batch in batches where !self.writeAll(batch.bytes) { failed += batch.lines }
            if failed > 0 {
                self.lock.lock()
                self.droppedLines += failed
                self.lock.unlock()
            }
        }
    }

    /// Blocking is fine here: this thread does nothing else. EINTR is retried; any other error
    /// loses the batch (counted by the caller).
    private func writeAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(self.fileDescriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}

/// Monotonic nanoseconds, for the once-a-second report.
enum NIODeadlineClock {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// A detached POSIX thread running one closure.
final class ThreadStarter: @unchecked Sendable {
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            let starter = Unmanaged<ThreadStarter>.fromOpaque(context!).takeRetainedValue()
            starter.body()
            return nil
        }, context)
        pthread_detach(thread)
    }
}
