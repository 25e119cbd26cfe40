import Foundation

/// A cheap summary of a directory tree (every file's path, size and modification time), polled
/// to notice changes. Polling works on every file system, including the symlinked ConfigMap and
/// Secret volumes Kubernetes mounts (whose swaps inotify reports unreliably).
public struct DirectoryFingerprint: Hashable, Sendable {
    private var entries: [String: FileEntry]

    struct FileEntry: Hashable, Sendable {
        var size: Int
        var modified: Double
    }

    /// Fingerprints the files below `directories` (missing directories count as empty).
    public init(directories: [String]) {
        var entries: [String: FileEntry] = [:]
        for directory in directories {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { continue }
            while let relative = enumerator.nextObject() as? String {
                let path = (directory as NSString).appendingPathComponent(relative)
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                    attributes[.type] as? FileAttributeType == .typeRegular
                else { continue }
                entries[path] = FileEntry(
                    size: (attributes[.size] as? Int) ?? 0,
                    modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
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
