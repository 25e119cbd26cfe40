#if canImport(Glibc)
import Glibc
import Foundation
import PorticoConfig
import Synchronization

/// Linux inotify on a directory tree: any create, write, delete or move below it is recorded
/// and wakes the reload loop, so a change applies in milliseconds instead of one polling
/// interval. It names the files that changed, so a reload need not walk the whole tree; when
/// it cannot (a directory created or moved in, a Kubernetes volume's `..data` swap, a queue
/// overflow) it says so and the caller walks. New subdirectories are watched as they appear.
/// Where inotify is unavailable (or its watch limit is reached) the caller keeps polling.
final class InotifyWatcher: Sendable {
    private let descriptor: Int32
    private let pending = Mutex(Changes())
    private let watches = Mutex<[Int32: String]>([:])

    /// What inotify saw since the last `takeChanges`.
    struct Changes: Sendable {
        /// Files created, written, deleted, moved or touched.
        var paths: Set<String> = []
        /// Something changed that the paths do not say (see the type's comment).
        var unnamed = false
        /// Counts batches of events, so a caller can tell whether more arrived.
        var batches = 0

        var isEmpty: Bool { self.paths.isEmpty && !self.unnamed }
    }

    static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)

    init?(directories: [String]) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        for directory in directories where !self.watchTree(FileTree.normalised(directory)) {
            close(descriptor)
            return nil
        }
    }

    /// Starts reading events on a thread of its own (it blocks in `read(2)`); `onChange` runs
    /// after each batch of events.
    func start(onChange: @escaping @Sendable () -> Void) {
        Thread { [self] in self.readEvents(onChange) }.start()
    }

    /// Returns and clears what changed.
    func takeChanges() -> Changes {
        self.pending.withLock { pending in
            defer { pending.paths = []; pending.unnamed = false }
            return pending
        }
    }

    /// How many batches of events have arrived so far.
    var batches: Int { self.pending.withLock { $0.batches } }

    /// Watches `root` and every directory below it. False if a watch could not be added.
    private func watchTree(_ root: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            return true  // nothing to watch (a missing certs/ is fine)
        }
        var directories = [root]
        if let enumerator = FileManager.default.enumerator(atPath: root) {
            while let relative = enumerator.nextObject() as? String {
                let path = (root as NSString).appendingPathComponent(relative)
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    directories.append(path)
                }
            }
        }
        for directory in directories {
            let watch = inotify_add_watch(self.descriptor, directory, Self.mask)
            guard watch >= 0 else { return false }
            self.watches.withLock { $0[watch] = directory }
        }
        return true
    }

    private func readEvents(_ onChange: @Sendable () -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(self.descriptor, &buffer, buffer.count)
            guard count > 0 else { return }
            var offset = 0
            var paths: [String] = []
            var unnamed = false
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (watch, mask, length) = buffer.withUnsafeBytes { bytes -> (Int32, UInt32, Int) in
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                offset = nameStart + length
                guard length > 0, mask & UInt32(IN_Q_OVERFLOW) == 0, let parent = self.watches.withLock({ $0[watch] }) else {
                    unnamed = true  // an overflow, or an event on a watched directory itself
                    continue
                }
                let name = String(decoding: buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }, as: UTF8.self)
                let path = parent + "/" + name
                if mask & UInt32(IN_ISDIR) != 0 {
                    // A directory's files come with no event of their own.
                    unnamed = true
                    if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { _ = self.watchTree(path) }
                } else if name.hasPrefix("..") {
                    unnamed = true  // a Kubernetes volume's `..data` link: every file behind it changed
                } else {
                    paths.append(path)
                }
            }
            self.pending.withLock { pending in
                pending.paths.formUnion(paths)
                pending.unnamed = pending.unnamed || unnamed
                pending.batches += 1
            }
            onChange()
        }
    }
}
#endif
