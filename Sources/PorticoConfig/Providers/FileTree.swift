#if canImport(Glibc)
import Glibc
#endif

/// The regular files below a directory, with what a change check needs, from one walk of
/// `opendir`/`readdir` and one `stat(2)` per entry. Foundation's enumerator builds URLs and
/// bridged strings per entry and its attributes read `/etc/passwd` and `/etc/group` for owner
/// names; with 10,000 manifests that walk was a third of a reload and most of an idle poll.
///
/// Like FileManager's enumerator it lists hidden entries and does not descend into symlinked
/// directories; unlike its `attributesOfItem` it follows a symlinked *file* (a Kubernetes
/// volume's `file.yaml -> ..data/file.yaml`), so a volume swap changes the target's inode.
/// Entries named `..something` are skipped: they are a Kubernetes volume's own (its AtomicWriter
/// writes each version into a `..<timestamp>` directory behind the `..data` link), and listing
/// them would load every file of a mounted ConfigMap twice.
public enum FileTree {
    public struct File: Hashable, Sendable {
        /// Below the root, `/`-separated (`team-a/app.yaml`).
        public var relative: String
        /// The root joined with `relative`.
        public var path: String
        public var size: Int
        /// Modification time, nanoseconds since the epoch.
        public var modified: Int64
        public var inode: UInt64
    }

    /// Every regular file below `root`, sorted by path unless `sorted` is false (a fingerprint
    /// needs no order); empty when `root` is not a directory.
    public static func files(below root: String, sorted: Bool = true) -> [File] {
        var files: [File] = []
        Self.walk(root: Self.normalised(root), relative: "", into: &files)
        return sorted ? files.sorted { $0.path < $1.path } : files
    }

    /// `root` without trailing slashes, as `File.path` starts (and as appendingPathComponent
    /// joins).
    public static func normalised(_ root: String) -> String {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        return root
    }

    /// The regular file at `path` (a symlink followed), as a walk would list it; nil when
    /// there is none.
    public static func file(at path: String, relative: String) -> File? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Self.file(relative: relative, path: path, info)
    }

    private static func file(relative: String, path: String, _ info: stat) -> File {
        File(relative: relative, path: path, size: Int(info.st_size),
             modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec), inode: UInt64(info.st_ino))
    }

    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    private static let typeOffset = MemoryLayout<dirent>.offset(of: \dirent.d_type)!

    private static func walk(root: String, relative: String, into files: inout [File]) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            // A dirent is as long as its name (`d_reclen`), not `MemoryLayout<dirent>.size`:
            // copying `entry.pointee` whole can read past the end of the kernel's buffer, so
            // the fields are read through the pointer.
            let raw = UnsafeRawPointer(entry)
            let name = String(cString: raw.advanced(by: Self.nameOffset).assumingMemoryBound(to: CChar.self))
            let type = raw.load(fromByteOffset: Self.typeOffset, as: UInt8.self)
            if name == "." || name.hasPrefix("..") { continue }
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            let path = root + "/" + childRelative
            if type == UInt8(DT_DIR) {
                Self.walk(root: root, relative: childRelative, into: &files)
                continue
            }
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                // A directory that readdir did not type (some file systems say DT_UNKNOWN);
                // a symlink to a directory is not followed, as FileManager's enumerator does not.
                var link = stat()
                if lstat(path, &link) == 0, (link.st_mode & S_IFMT) == S_IFDIR {
                    Self.walk(root: root, relative: childRelative, into: &files)
                }
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append(Self.file(relative: childRelative, path: path, info))
        }
    }
}
