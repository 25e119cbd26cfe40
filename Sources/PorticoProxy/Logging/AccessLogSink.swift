#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

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
    private var lastReport = NIODeadline.uptimeNanoseconds(0)
    /// NIO's pool for blocking work, one thread, occupied by `run` for the process's life.
    private let thread = NIOThreadPool(numberOfThreads: 1)

    init(fileDescriptor: Int32, logger: Logger) {
        self.fileDescriptor = fileDescriptor
        self.logger = logger
        self.thread.start()
        self.thread.submit { [self] _ in self.run() }
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
        let now = NIODeadline.now()
        guard self.droppedLines > 0, now - self.lastReport >= .seconds(1) else { return nil }
        let count = self.droppedLines
        self.droppedLines = 0
        self.lastReport = now
        return count
    }

    private func log(_ dropped: Int) {
        self.logger.warning("access log: \(dropped) line(s) dropped; its file or pipe is not keeping up")
    }

    /// Sleeps until a batch is queued (no timed wake-ups), writes, and reports what its own
    /// failed writes lost.
    private func run() {
        var failed = 0
        while true {
            self.lock.lock(whenValue: 1)
            let batches = self.queue
            self.queue = []
            self.queuedBytes = 0
            self.droppedLines += failed
            let report = self.takeReport()
            self.lock.unlock(withValue: 0)
            if let report { self.log(report) }
            failed = 0
            for batch in batches where !self.writeAll(batch.bytes) { failed += batch.lines }
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
