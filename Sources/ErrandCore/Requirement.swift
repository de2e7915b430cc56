/// A task's required tags (riaktq's tags, `requires: [gpu]`) and a claimer's tags: the one rule of who may take what.
///
/// A set of requirements is stored as its key, the sorted tags joined by `,` (`gpu,ssd`); a task without requirements
/// has none. A claim declaring the tags `T` takes a task whose requirements are a subset of `T`.
public enum Requirement {
    /// Most tags a task may require, or a claimer declare.
    public static let maxTags = 16
    /// Longest tag, in characters.
    public static let maxTagLength = 128

    /// Sorted, without repeats.
    public static func normalized(_ tags: [String]) -> [String] { Array(Set(tags)).sorted() }

    /// The stored key of `tags`, or `nil` for none.
    public static func key(_ tags: [String]) -> String? { tags.isEmpty ? nil : normalized(tags).joined(separator: ",") }

    /// The tags of a stored key.
    public static func tags(ofKey key: String?) -> [String] { key.map { $0.split(separator: ",").map(String.init) } ?? [] }

    /// Whether a claimer with `tags` may take a task requiring `required`.
    public static func met(_ required: [String], by tags: some Collection<String>) -> Bool {
        required.allSatisfy(tags.contains)
    }

    /// Why `tags` cannot be a task's requirements or a claimer's tags, or `nil`.
    public static func problem(_ tags: [String]) -> String? {
        if tags.count > maxTags { return "at most \(maxTags) tags, got \(tags.count)" }
        for tag in tags {
            if tag.isEmpty || tag.count > maxTagLength { return "a tag must be 1 to \(maxTagLength) characters, got \"\(tag.prefix(40))\"" }
            if tag.contains(",") { return "a tag holds no comma, got \"\(tag.prefix(40))\"" }
        }
        return nil
    }
}
