/// A value that breaks a rule, with the path of the field that holds it.
///
/// The description reads `max_attempts: must be at least 1, got 0`, written for the operator who has to fix it.
public struct InvalidField: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field's name as a user writes it (snake_case, dotted for nested values), e.g. `retry.delay_factor`.
    public var field: String
    /// What is wrong with the value.
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }

    /// `value` when it is a duration: a finite number of seconds above 0 (at least 0 with `allowZero`). The one rule
    /// for every duration Errand reads (leases, timeouts, delays, TTLs, intervals).
    /// - Throws: ``InvalidField`` naming `field` otherwise.
    @discardableResult
    public static func seconds(_ value: Double, _ field: String, allowZero: Bool = false) throws(InvalidField) -> Double {
        guard value.isFinite, allowZero ? value >= 0 : value > 0 else {
            throw InvalidField(field: field, reason: "must be a number of seconds \(allowZero ? ">=" : ">") 0, got \(value)")
        }
        return value
    }

    /// The same problem, reported under a parent path (`retry` + `delay` gives `retry.delay`).
    public func nested(under parent: String) -> InvalidField {
        InvalidField(field: parent.isEmpty ? field : "\(parent).\(field)", reason: reason)
    }
}
