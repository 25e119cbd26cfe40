import PorticoRegex
import PorticoRouting

/// The rewrite engine: a regex path (line 1, as `use-regex` compiles it), a `rewrite-target`
/// (line 2) and a request path (the rest). PCRE2's limits must turn runaway patterns into
/// outcomes, never hangs; a rewritten path never carries a raw space, control or non-ASCII byte
/// (request-line injection); path normalisation must be idempotent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRewrite(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = input.split(separator: 10, maxSplits: 2, omittingEmptySubsequences: false)
    guard lines.count == 3 else { return 0 }
    let pattern = String(decoding: lines[0], as: UTF8.self)
    let target = String(decoding: lines[1], as: UTF8.self)
    let path = Array(lines[2])

    var scratch: [UInt8] = []
    path.withUnsafeBytes { bytes in
        guard case .normalized = PathNormalizer.normalize(bytes, into: &scratch) else { return }
        // A normal path: starts with `/`, no empty, `.` or `..` segment (a trailing `/` aside).
        precondition(scratch.first == UInt8(ascii: "/"), "normalised path without a leading slash")
        let segments = scratch.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            precondition(!segment.isEmpty || index == segments.count - 1, "an empty segment survived")
            precondition(!segment.elementsEqual([46]) && !segment.elementsEqual([46, 46]), "a dot segment survived")
        }
        // Without `%` left to decode, normalising again changes nothing.
        guard !scratch.contains(UInt8(ascii: "%")) else { return }
        var again: [UInt8] = []
        scratch.withUnsafeBytes { normal in
            if case .normalized = PathNormalizer.normalize(normal, into: &again) { precondition(again == scratch, "not idempotent") }
        }
    }
    guard let regex = try? CompiledRegex(pattern, caseInsensitive: true, anchored: true),
        case .success(let template) = RewriteTemplate.parse(target)
    else { return 0 }
    let match = RegexMatchData()
    path.withUnsafeBytes { subject in
        guard case .match = regex.matches(subject, using: match) else { return }
        var out: [UInt8] = []
        template.apply(subject: subject, captures: match, into: &out)
        precondition(!out.isEmpty, "an empty rewritten path")
        // Whatever the captures held, the rewritten path carries no space, control or non-ASCII
        // byte into the upstream request line.
        precondition(out.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "an unescaped byte in the rewritten path")
        if !target.isEmpty && !target.contains("$") {
            precondition(out == Array(target.utf8), "a template without captures changed")
        }
    }
    return 0
}
