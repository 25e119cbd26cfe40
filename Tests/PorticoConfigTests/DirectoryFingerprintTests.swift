import Foundation
import PorticoConfig
import Testing

@Suite struct DirectoryFingerprintTests {
    /// A Kubernetes volume update swaps the file (new inode) and may keep its size and time:
    /// the fingerprint must still change.
    @Test func aSwappedFileWithTheSameSizeAndTimeIsAChange() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fingerprint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a.yaml")
        let swapped = directory.appendingPathComponent(".a.yaml.new")
        try Data("kind: A\n".utf8).write(to: file)
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: file.path)
        let before = DirectoryFingerprint(directories: [directory.path])
        #expect(before.fileCount == 1)
        try Data("kind: B\n".utf8).write(to: swapped)
        try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: swapped.path)
        #expect(rename(swapped.path, file.path) == 0)
        let after = DirectoryFingerprint(directories: [directory.path])
        #expect(after.fileCount == 1)
        #expect(after != before)
        #expect(DirectoryFingerprint(directories: [directory.path]) == after)  // stable when nothing changed
    }
}
