import Foundation
import PorticoConfig
import Testing

@Suite struct FileTreeTests {
    /// What FileManager's enumerator listed, without it: hidden entries and nested directories
    /// are walked, a symlinked directory is not descended, a symlinked file is followed (a
    /// Kubernetes volume's layout), and the result is sorted; a volume's own `..` entries are
    /// not listed. Hundreds of entries with long
    /// names, so the directory stream spans several kernel buffers (a dirent copied whole once
    /// read past the end of one and crashed the walk).
    @Test func walksLikeTheEnumeratorAndSurvivesLongListings() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("filetree-\(UUID().uuidString)")
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("..2026_12_01"), withIntermediateDirectories: true)
        try manager.createDirectory(at: root.appendingPathComponent("team/nested"), withIntermediateDirectories: true)
        try Data("a".utf8).write(to: root.appendingPathComponent("..2026_12_01/app.yaml"))
        try Data("n".utf8).write(to: root.appendingPathComponent("team/nested/deep.yaml"))
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("..data").path, withDestinationPath: "..2026_12_01")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("app.yaml").path, withDestinationPath: "..data/app.yaml")
        try Data("h".utf8).write(to: root.appendingPathComponent(".hidden.yaml"))
        let long = String(repeating: "x", count: 200)
        for index in 0..<300 { try Data("\(index)".utf8).write(to: root.appendingPathComponent("\(long)-\(index).yaml")) }
        defer { try? manager.removeItem(at: root) }

        let files = FileTree.files(below: root.path)
        let relative = files.map(\.relative)
        #expect(relative.count == 303)
        #expect(!relative.contains { $0.hasPrefix("..") })  // the volume's versions and its ..data link
        #expect(relative.contains("team/nested/deep.yaml"))
        #expect(relative.contains("app.yaml"))  // the symlinked file, followed
        #expect(relative.contains(".hidden.yaml"))
        #expect(!relative.contains { $0.hasPrefix("..data/") })  // the symlinked directory, not descended
        #expect(relative == relative.sorted())
        let linked = try #require(files.first { $0.relative == "app.yaml" })
        let target = try #require(FileTree.file(at: root.appendingPathComponent("..2026_12_01/app.yaml").path, relative: ""))
        #expect(linked.inode == target.inode && linked.size == 1)
        #expect(FileTree.files(below: root.appendingPathComponent("missing").path).isEmpty)
        #expect(FileTree.files(below: root.path + "/").map(\.path) == files.map(\.path))  // a trailing slash joins cleanly
    }

    /// A ConfigMap mounted as `ingress-rules/` (kubelet's layout: `x.yaml -> ..data/x.yaml`,
    /// `..data -> ..<timestamp>/`) loads each object once; it was loaded twice, every object an
    /// "already defined" error.
    @Test func aMountedConfigMapLoadsEachObjectOnce() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("volume-\(UUID().uuidString)")
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("..2026_12_01_00_00_00.1"), withIntermediateDirectories: true)
        defer { try? manager.removeItem(at: root) }
        let service = "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {ports: [{port: 80}]}\n"
        try Data(service.utf8).write(to: root.appendingPathComponent("..2026_12_01_00_00_00.1/svc.yaml"))
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("..data").path, withDestinationPath: "..2026_12_01_00_00_00.1")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("svc.yaml").path, withDestinationPath: "..data/svc.yaml")
        let loaded = DirectoryProvider(directory: root.path).load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.state.services.map(\.metadata.name) == ["svc"])
        #expect(loaded.state.services.first?.location.file.hasSuffix("/svc.yaml") == true)
        #expect(loaded.state.services.first?.location.file.contains("..") == false)
    }
}
