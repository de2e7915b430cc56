/// Why a cron expression was refused, naming the field and the text at fault.
///
/// Reads `field 2 "61": minute must be 0-59` (fields are counted from 1 as written; a 6-field expression starts with
/// seconds), or, for the expression as a whole, `expected 5 or 6 fields, got 4`.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based position of the field at fault, if one is.
    public var field: Int?
    /// The text at fault within that field.
    public var text: String?
    /// What is wrong.
    public var reason: String

    public init(field: Int? = nil, text: String? = nil, reason: String) {
        self.field = field
        self.text = text
        self.reason = reason
    }

    public var description: String {
        switch (field, text) {
        case (let field?, let text?): "field \(field) \"\(text)\": \(reason)"
        case (let field?, nil): "field \(field): \(reason)"
        case (nil, let text?): "\"\(text)\": \(reason)"
        case (nil, nil): reason
        }
    }
}
