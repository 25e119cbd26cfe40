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

    public func load(cache: DecodeCache = DecodeCache()) -> Loaded {
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
        for file in self.manifestFiles() {
            let display = self.displayPath(file.path)
            guard let decoded = cache.result(for: file, display: display, diagnostics: &diagnostics, touched: &touched) else {
                continue
            }
            diagnostics += decoded.issues
            for (object, location) in decoded.objects {
                if let first = state.add(object) {
                    diagnostics.append(
                        Diagnostic(.error, file: location.file, line: location.line, object: object.displayName,
                                   message: "already defined at \(first); this copy is left out"))
                }
            }
        }
        return Loaded(state: state, diagnostics: diagnostics)
    }

    /// Manifest files below the directory, sorted.
    func manifestFiles() -> [FileTree.File] {
        FileTree.files(below: self.directory).filter { file in
            let lower = file.relative.lowercased()
            return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json")
        }
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
        }
    }
}
