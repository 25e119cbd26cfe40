import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A cheap summary of a directory tree (every file's path, size and modification time), polled
/// to notice changes. Polling works on every file system, including the symlinked ConfigMap and
/// Secret volumes Kubernetes mounts (whose swaps inotify reports unreliably).
public struct DirectoryFingerprint: Hashable, Sendable {
    private var entries: [String: FileEntry]

    struct FileEntry: Hashable, Sendable {
        var size: Int
        var modified: Double
        /// A swapped file (a Kubernetes volume's `..data` symlink flip) has a new inode even
        /// when size and time match.
        var inode: UInt64
    }

    /// Fingerprints the files below `directories` (missing directories count as empty).
    public init(directories: [String]) {
        var entries: [String: FileEntry] = [:]
        for directory in directories {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { continue }
            while let relative = enumerator.nextObject() as? String {
                let path = (directory as NSString).appendingPathComponent(relative)
                // stat(2) directly: FileManager's attributes read /etc/passwd and /etc/group
                // for owner names on every file, every poll.
                var info = stat()
                guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                entries[path] = FileEntry(
                    size: Int(info.st_size),
                    modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9,
                    inode: UInt64(info.st_ino))
            }
        }
        self.entries = entries
    }

    /// The newest modification time, to measure write-to-serving latency.
    public var newestModification: Date? {
        self.entries.values.map(\.modified).max().map { Date(timeIntervalSince1970: $0) }
    }

    public var fileCount: Int { self.entries.count }
}
