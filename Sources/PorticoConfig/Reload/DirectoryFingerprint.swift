import Foundation

/// A cheap summary of a directory tree (every file's path, size and modification time), polled
/// to notice changes. Polling works on every file system, including the symlinked ConfigMap and
/// Secret volumes Kubernetes mounts (whose swaps inotify reports unreliably).
public struct DirectoryFingerprint: Hashable, Sendable {
    private var entries: [String: FileEntry]

    struct FileEntry: Hashable, Sendable {
        var size: Int
        var modified: Int64
        /// A swapped file (a Kubernetes volume's `..data` symlink flip) has a new inode even
        /// when size and time match.
        var inode: UInt64
    }

    /// Fingerprints the files below `directories` (missing directories count as empty).
    public init(directories: [String]) {
        var entries: [String: FileEntry] = [:]
        for directory in directories {
            for file in FileTree.files(below: directory, sorted: false) {
                entries[file.path] = FileEntry(size: file.size, modified: file.modified, inode: file.inode)
            }
        }
        self.entries = entries
    }

    /// Takes `paths` (files inotify named) again without walking the tree. Returns whether any
    /// of them changed, and the newest modification time among them.
    public mutating func update(paths: Set<String>) -> (changed: Bool, newest: Date?) {
        var changed = false
        var newest: Int64?
        for path in paths {
            let entry = FileTree.file(at: path, relative: "").map { FileEntry(size: $0.size, modified: $0.modified, inode: $0.inode) }
            if let entry { newest = max(newest ?? entry.modified, entry.modified) }
            if self.entries[path] != entry {
                self.entries[path] = entry
                changed = true
            }
        }
        return (changed, newest.map { Date(timeIntervalSince1970: Double($0) / 1e9) })
    }

    /// The newest modification time, to measure write-to-serving latency.
    public var newestModification: Date? {
        self.entries.values.map(\.modified).max().map { Date(timeIntervalSince1970: Double($0) / 1e9) }
    }

    public var fileCount: Int { self.entries.count }
}
