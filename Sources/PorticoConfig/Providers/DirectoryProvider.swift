import Foundation
import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// Reads every `*.yaml`, `*.yml` and `*.json` below a directory into a `ClusterState`.
///
/// Files are read in sorted path order so that the result, and which of two same-named objects
/// wins, never depends on the file system's listing order.
public struct DirectoryProvider: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public struct Loaded: Sendable {
        public var state: ClusterState
        public var diagnostics: [Diagnostic]
        /// After a patch: the Services whose Service, Endpoints or EndpointSlices changed since
        /// the last load; nil after a whole load, or when a Pod changed (any backend may then
        /// resolve differently).
        public var changedServices: Set<ClusterState.ServiceName>?
    }

    /// Decoded files by path, reused while a file's size and modification time are unchanged,
    /// so a reload decodes only the files that changed.
    public final class DecodeCache: @unchecked Sendable {
        // @unchecked: used by one loader at a time (the reload loop serialises loads).
        struct Entry {
            var size: Int
            var modified: Int64
            var inode: UInt64
            var result: ManifestDecoder.Result
        }

        var entries: [String: Entry] = [:]
        /// Files decoded by the last load (not served from the cache).
        public private(set) var decodedLastTime = 0
        /// The last load's manifest files, sorted, and its result: what a load told which
        /// files changed patches instead of walking the tree again.
        var files: [FileTree.File] = []
        var last: Loaded?
        /// Whether the last load found two objects of the same identity (a patch could then
        /// change which one wins, so it loads whole).
        var lastHadDuplicates = false
        /// Whether the last load was a patch (for tests).
        public internal(set) var lastWasPatch = false

        public init() {}

        /// `file` as the walk saw it: a file whose size, time and inode are unchanged is not read.
        func result(for file: FileTree.File, display: String, diagnostics: inout [Diagnostic], touched: inout Set<String>)
            -> ManifestDecoder.Result?
        {
            let path = file.path
            touched.insert(path)
            if let entry = self.entries[path], entry.size == file.size, entry.modified == file.modified, entry.inode == file.inode {
                return entry.result
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                diagnostics.append(Diagnostic(.error, file: display, message: "cannot be read"))
                return nil
            }
            guard let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(Diagnostic(.error, file: display, message: "is not UTF-8 text"))
                return nil
            }
            let result = ManifestDecoder.decode(file: display, text: text)
            self.decodedLastTime += 1
            self.entries[path] = Entry(size: file.size, modified: file.modified, inode: file.inode, result: result)
            return result
        }

        func begin() { self.decodedLastTime = 0 }

        func end(keeping touched: Set<String>) {
            self.entries = self.entries.filter { touched.contains($0.key) }
        }
    }

    /// Loads the directory. With `changed` (the paths inotify named since the last load, from
    /// a cache that holds that load), the last state is patched: each changed file is decoded
    /// again and its objects replace their previous versions in place, with no walk of the
    /// tree. A change that adds, removes or renames an object, or a last load with duplicates,
    /// loads whole (from the cache, so unchanged files are still not decoded).
    public func load(cache: DecodeCache = DecodeCache(), changed: Set<String>? = nil) -> Loaded {
        if let changed, let patched = self.patch(cache: cache, changed: changed) {
            cache.lastWasPatch = true
            return patched
        }
        cache.lastWasPatch = false
        var state = ClusterState()
        var diagnostics: [Diagnostic] = []
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: self.directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            diagnostics.append(Diagnostic(.error, file: self.directory, message: "no such directory"))
            return Loaded(state: state, diagnostics: diagnostics)
        }
        cache.begin()
        var touched = Set<String>()
        defer { cache.end(keeping: touched) }
        let files = self.manifestFiles()
        var duplicates = false
        for file in files {
            let display = self.displayPath(file.path)
            guard let decoded = cache.result(for: file, display: display, diagnostics: &diagnostics, touched: &touched) else {
                continue
            }
            diagnostics += decoded.issues
            for (object, location) in decoded.objects {
                if let first = state.add(object) {
                    duplicates = true
                    diagnostics.append(
                        Diagnostic(.error, file: location.file, line: location.line, object: object.displayName,
                                   message: "already defined at \(first); this copy is left out"))
                }
            }
        }
        let loaded = Loaded(state: state, diagnostics: diagnostics)
        cache.files = files
        cache.last = loaded
        cache.lastHadDuplicates = duplicates
        return loaded
    }

    /// The last load with the `changed` files decoded again, or nil when only a whole load can
    /// say what the directory holds now.
    private func patch(cache: DecodeCache, changed: Set<String>) -> Loaded? {
        guard let last = cache.last, !cache.lastHadDuplicates else { return nil }
        cache.begin()
        let prefix = FileTree.normalised(self.directory) + "/"
        var state = last.state
        var files = cache.files
        var readFailures: [Diagnostic] = []
        var services: Set<ClusterState.ServiceName>? = []
        var issuesChanged = false
        for path in changed.sorted() where path.hasPrefix(prefix) {
            let relative = String(path.dropFirst(prefix.count))
            let position = Self.insertionPoint(of: path, in: files)
            let known = position < files.count && files[position].path == path
            let before = known ? cache.entries[path]?.result.objects.map { ClusterState.identity(of: $0.object).0 } ?? [] : []
            let previous = known ? cache.entries[path]?.result : nil
            guard let file = FileTree.file(at: path, relative: relative), Self.isManifest(file) else {
                // Gone (or no longer a manifest): fine only if it held no object.
                guard before.isEmpty else { return nil }
                if known { files.remove(at: position) }
                issuesChanged = issuesChanged || !(previous?.issues.isEmpty ?? true)
                cache.entries[path] = nil
                continue
            }
            var touched = Set<String>()
            guard let decoded = cache.result(for: file, display: self.displayPath(path), diagnostics: &readFailures, touched: &touched),
                decoded.objects.map({ ClusterState.identity(of: $0.object).0 }) == before
            else { return nil }
            issuesChanged = issuesChanged || !(previous?.issues.isEmpty ?? true) || !decoded.issues.isEmpty
            for (object, _) in decoded.objects where !state.replace(object) { return nil }
            for (object, _) in (previous?.objects ?? []) + decoded.objects {
                ClusterState.noteBackendEffect(of: object, in: &services)
            }
            if known { files[position] = file } else { files.insert(file, at: position) }
        }
        guard readFailures.isEmpty else { return nil }
        // The issues of every file, in path order, as a whole load lists them.
        let diagnostics = issuesChanged ? files.flatMap { cache.entries[$0.path]?.result.issues ?? [] } : last.diagnostics
        let loaded = Loaded(state: state, diagnostics: diagnostics, changedServices: services)
        cache.files = files
        cache.last = loaded
        return loaded
    }

    /// Manifest files below the directory, sorted.
    func manifestFiles() -> [FileTree.File] {
        FileTree.files(below: self.directory).filter(Self.isManifest)
    }

    /// Where `path` is or would go in `files` (sorted by path): a binary search.
    static func insertionPoint(of path: String, in files: [FileTree.File]) -> Int {
        var low = 0
        var high = files.count
        while low < high {
            let middle = (low + high) / 2
            if files[middle].path < path { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func isManifest(_ file: FileTree.File) -> Bool {
        let lower = file.relative.lowercased()
        return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json")
    }

    func displayPath(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }
}

extension KubeObject {
    /// `Kind namespace/name`.
    public var displayName: String {
        switch self {
        case .ingress(let value): "Ingress \(value.metadata.namespace)/\(value.metadata.name)"
        case .ingressClass(let value): "IngressClass \(value.metadata.name)"
        case .service(let value): "Service \(value.metadata.namespace)/\(value.metadata.name)"
        case .endpoints(let value): "Endpoints \(value.metadata.namespace)/\(value.metadata.name)"
        case .endpointSlice(let value): "EndpointSlice \(value.metadata.namespace)/\(value.metadata.name)"
        case .secret(let value): "Secret \(value.metadata.namespace)/\(value.metadata.name)"
        case .pod(let value): "Pod \(value.metadata.namespace)/\(value.metadata.name)"
        case .configMap(let value): "ConfigMap \(value.metadata.namespace)/\(value.metadata.name)"
        case .gatewayClass(let value): "GatewayClass \(value.metadata.name)"
        case .gateway(let value): "Gateway \(value.metadata.namespace)/\(value.metadata.name)"
        case .httpRoute(let value): "HTTPRoute \(value.metadata.namespace)/\(value.metadata.name)"
        case .grpcRoute(let value): "GRPCRoute \(value.metadata.namespace)/\(value.metadata.name)"
        case .namespace(let value): "Namespace \(value.metadata.name)"
        case .referenceGrant(let value): "ReferenceGrant \(value.metadata.namespace)/\(value.metadata.name)"
        }
    }
}
