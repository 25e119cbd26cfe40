import Foundation
import PorticoConfig
import Testing

@Suite struct FileTreeTests {
    /// What FileManager's enumerator listed, without it: hidden entries and nested directories
    /// are walked, a symlinked directory is not descended, a symlinked file is followed (a
    /// Kubernetes volume's layout), and the result is sorted. Hundreds of entries with long
    /// names, so the directory stream spans several kernel buffers (a dirent copied whole once
    /// read past the end of one and crashed the walk).
    @Test func walksLikeTheEnumeratorAndSurvivesLongListings() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("filetree-\(UUID().uuidString)")
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("..2026_12_01/nested"), withIntermediateDirectories: true)
        try Data("a".utf8).write(to: root.appendingPathComponent("..2026_12_01/app.yaml"))
        try Data("n".utf8).write(to: root.appendingPathComponent("..2026_12_01/nested/deep.yaml"))
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("..data").path, withDestinationPath: "..2026_12_01")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("app.yaml").path, withDestinationPath: "..data/app.yaml")
        try Data("h".utf8).write(to: root.appendingPathComponent(".hidden.yaml"))
        let long = String(repeating: "x", count: 200)
        for index in 0..<300 { try Data("\(index)".utf8).write(to: root.appendingPathComponent("\(long)-\(index).yaml")) }
        defer { try? manager.removeItem(at: root) }

        let files = FileTree.files(below: root.path)
        let relative = files.map(\.relative)
        #expect(relative.count == 304)
        #expect(relative.contains("..2026_12_01/app.yaml"))
        #expect(relative.contains("..2026_12_01/nested/deep.yaml"))
        #expect(relative.contains("app.yaml"))  // the symlinked file, followed
        #expect(relative.contains(".hidden.yaml"))
        #expect(!relative.contains { $0.hasPrefix("..data/") })  // the symlinked directory, not descended
        #expect(relative == relative.sorted())
        let linked = try #require(files.first { $0.relative == "app.yaml" })
        let target = try #require(files.first { $0.relative == "..2026_12_01/app.yaml" })
        #expect(linked.inode == target.inode && linked.size == 1)
        #expect(FileTree.files(below: root.appendingPathComponent("missing").path).isEmpty)
        #expect(FileTree.files(below: root.path + "/").map(\.path) == files.map(\.path))  // a trailing slash joins cleanly
    }
}
