import ErrandCore
import Foundation
import Yams

/// Reads the text of a task spec (`errand task add -f`, `add-task -f`) into a document for ``TaskSpec``, refusing
/// anything it would otherwise read only in part.
///
/// - JSON: one document (a task, a list, or `{tasks: [...]}`), or JSON Lines — one task (or list) per line, as
///   `jq -c` prints them. Text after a JSON value is an error naming its line, never ignored.
/// - YAML: one document, or several separated by `---` (a list of tasks, as pftaskqueue's `add-task` reads them).
///
/// Nesting deeper than ``maxDepth`` is refused with that reason (a task spec is two or three levels deep).
enum SpecDocument {
    /// Deepest nesting of a spec.
    static let maxDepth = 64

    /// The parsed document.
    /// - Throws: ``InvalidField`` (`spec`, or `spec line N`) saying what is wrong and where.
    static func parse(_ text: String) throws -> Any? {
        let body = text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
        if let depth = nestingProblem(body) { throw InvalidField(field: "spec", reason: depth) }
        if body.first == "{" || body.first == "[" {
            if let value = try? JSONSerialization.jsonObject(with: Data(body.utf8)) { return value }
            if let lines = try jsonLines(String(body)) { return lines }
            // Flow-style YAML, or JSON with a mistake: either way nothing may follow the closing bracket, which a
            // YAML parser would otherwise drop without a word.
            if let trailing = textAfterFirstValue(body) {
                let line = text[..<trailing].count { $0 == "\n" } + 1
                let shown = text[trailing...].prefix { $0 != "\n" }.prefix(80)
                throw InvalidField(field: "spec line \(line)", reason: "unexpected text after the document: \(shown)")
            }
        }
        return try yaml(text)
    }

    /// The values of JSON Lines text, or `nil` when its first line is not a JSON value on its own (then it is no
    /// JSON Lines text, and is read as YAML, whose flow style `{handler: x}` starts like JSON).
    private static func jsonLines(_ text: String) throws -> [Any]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { !$0.element.allSatisfy(\.isWhitespace) }
        guard lines.count > 1, (try? JSONSerialization.jsonObject(with: Data(lines[0].element.utf8))) != nil else { return nil }
        var values: [Any] = []
        for (index, line) in lines {
            do {
                let value = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
                if let list = value as? [Any] { values += list } else { values.append(value) }
            } catch {
                // Counted from the top of the text (what an editor shows), blank lines included.
                throw InvalidField(
                    field: "spec line \(index + 1)",
                    reason: "is not a JSON value (JSON Lines: one task per line): \(line.prefix(80))"
                )
            }
        }
        return values
    }

    private static func yaml(_ text: String) throws -> Any? {
        var documents: [Any?] = []
        do {
            for document in try Yams.load_all(yaml: text) { documents.append(document) }
        } catch {
            let message = "\(error)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && $0 != "^" }.joined(separator: " ")
            throw InvalidField(field: "spec", reason: "is not valid YAML or JSON: \(message)")
        }
        return documents.count > 1 ? documents.map { $0 ?? [String: Any]() } : documents.first ?? nil
    }

    /// Where text other than whitespace or a `#` comment follows the bracketed value that `body` starts with.
    static func textAfterFirstValue(_ body: Substring) -> String.Index? {
        var end: String.Index?
        eachBracket(in: body) { index, depth in
            guard depth == 0 else { return true }
            end = body.index(after: index)
            return false
        }
        guard var rest = end.map({ body[$0...] }) else { return nil }
        while let first = rest.first {
            if first.isWhitespace {
                rest = rest.dropFirst()
            } else if first == "#" {
                rest = rest.drop { $0 != "\n" }
            } else {
                return rest.startIndex
            }
        }
        return nil
    }

    /// Why `text` nests too deeply to be a task spec, or `nil`. Counts brackets outside quoted strings, and
    /// indentation levels of block YAML.
    static func nestingProblem(_ text: Substring) -> String? {
        var deepest = 0
        eachBracket(in: text) { _, depth in
            deepest = max(deepest, depth)
            return true
        }
        var indents = Set<Int>()
        for line in text.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            indents.insert(line.prefix { $0 == " " || $0 == "-" }.count)
        }
        let levels = max(deepest, indents.count)
        return levels > maxDepth ? "nests \(levels) levels deep; a task spec may nest at most \(maxDepth)" : nil
    }

    /// Calls `visit` with each bracket outside quoted strings and the depth after it, until `visit` returns false.
    private static func eachBracket(in text: Substring, _ visit: (String.Index, Int) -> Bool) {
        var depth = 0
        var quote: Character?
        var escaped = false
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if escaped {
                    escaped = false
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "{", "[":
                depth += 1
                guard visit(index, depth) else { return }
            case "}", "]":
                depth -= 1
                guard visit(index, depth) else { return }
            default: break
            }
        }
    }
}
