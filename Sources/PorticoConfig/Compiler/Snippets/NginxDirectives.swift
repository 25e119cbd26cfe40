/// nginx configuration text split into directives, as nginx's own parser reads it
/// (ngx_conf_file.c): words separated by blanks, `"…"` and `'…'` quoting with `\` escapes,
/// `#` comments, each directive ended by `;`. Blocks (`{ … }`) are refused: the snippet
/// translation takes only flat directives.
struct NginxDirectives {
    struct Directive: Equatable {
        var name: String
        var arguments: [String]
        /// 1-based line within the snippet.
        var line: Int
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        case block(line: Int)
        case unterminatedQuote(line: Int)
        case missingSemicolon(String, line: Int)

        var description: String {
            switch self {
            case .block(let line): "line \(line): blocks ({ … }: if, location, …) are not translated"
            case .unterminatedQuote(let line): "line \(line): a quote is not closed"
            case .missingSemicolon(let name, let line): "line \(line): \(name) does not end with ;"
            }
        }
    }

    static func parse(_ text: String) -> Result<[Directive], Failure> {
        var directives: [Directive] = []
        var words: [String] = []
        var word = ""
        var inWord = false
        var line = 1
        var startLine = 1
        var characters = Array(text)[...]
        func endWord() {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        }
        while let character = characters.popFirst() {
            switch character {
            case "\n":
                endWord()
                line += 1
            case " ", "\t", "\r":
                endWord()
            case "#" where !inWord:
                while let next = characters.first, next != "\n" { characters.removeFirst() }
            case ";":
                endWord()
                if let name = words.first { directives.append(Directive(name: name, arguments: Array(words.dropFirst()), line: startLine)) }
                words = []
            case "{", "}":
                return .failure(.block(line: line))
            case "\"", "'" where !inWord:
                if words.isEmpty { startLine = line }
                var closed = false
                while let next = characters.popFirst() {
                    if next == "\\", let escaped = characters.popFirst() {
                        word.append(escaped == "n" ? "\n" : escaped == "t" ? "\t" : escaped)
                        continue
                    }
                    if next == character {
                        closed = true
                        break
                    }
                    if next == "\n" { line += 1 }
                    word.append(next)
                }
                guard closed else { return .failure(.unterminatedQuote(line: line)) }
                inWord = true
                endWord()
            default:
                if words.isEmpty && !inWord { startLine = line }
                word.append(character)
                inWord = true
            }
        }
        endWord()
        if let name = words.first { return .failure(.missingSemicolon(name, line: startLine)) }
        return .success(directives)
    }
}
