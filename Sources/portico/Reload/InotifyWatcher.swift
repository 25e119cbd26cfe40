#if canImport(Glibc)
import Glibc
import Foundation
import Synchronization

/// Linux inotify on a directory tree: any create, write, delete or move below it raises a flag
/// and wakes the reload loop, so a change applies in tens of milliseconds instead of one
/// polling interval. New subdirectories are watched as they appear.
/// Where inotify is unavailable (or its watch limit is reached) the caller keeps polling.
final class InotifyWatcher: Sendable {
    private let descriptor: Int32
    private let changed = Atomic<Bool>(false)
    private let watches = Mutex<[Int32: String]>([:])

    static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)

    init?(directories: [String]) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        for directory in directories where !self.watchTree(directory) {
            close(descriptor)
            return nil
        }
    }

    /// Starts reading events on a thread of its own (it blocks in `read(2)`); `onChange` runs
    /// after each batch of events.
    func start(onChange: @escaping @Sendable () -> Void) {
        Thread { [self] in self.readEvents(onChange) }.start()
    }

    /// Returns and clears "something changed".
    func takeChange() -> Bool {
        self.changed.exchange(false, ordering: .relaxed)
    }

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
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (watch, mask, length) = buffer.withUnsafeBytes { bytes -> (Int32, UInt32, Int) in
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                if mask & UInt32(IN_ISDIR) != 0, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, length > 0,
                    let parent = self.watches.withLock({ $0[watch] })
                {
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let name = String(decoding: buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }, as: UTF8.self)
                    _ = self.watchTree((parent as NSString).appendingPathComponent(name))
                }
                offset += MemoryLayout<inotify_event>.size + length
            }
            self.changed.store(true, ordering: .relaxed)
            onChange()
        }
    }
}
#endif
