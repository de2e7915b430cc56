import ErrandCore
import ErrandStore
import Foundation
public import Hummingbird

/// An error answered as RFC 9457 problem details (`application/problem+json`).
public struct Problem: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A short slug naming the kind of problem; the `type` URI ends with it.
    public var kind: String
    /// What went wrong, precisely.
    public var detail: String
    /// Extra response headers (`WWW-Authenticate`, `Allow`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ kind: String, _ detail: String) {
        self.status = status
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(status.code) \(kind): \(detail)" }

    /// The problem as JSON, as answered.
    var json: JSONValue {
        .object([
            "type": .string("https://errand.dev/problems/\(kind)"),
            "title": .string(status.reasonPhrase),
            "status": .number(Double(status.code)),
            "detail": .string(detail),
        ])
    }

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, "bad-request", detail) }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "not-found", detail) }

    /// The type of the 404 for a `parent_id` that names no task (which a store calls `.invalid`).
    static let unknownParent = "unknown-parent"

    /// The problem a thrown error stands for: store errors by their code, anything else a 500 that names it.
    static func from(_ error: any Error) -> Problem {
        switch error {
        case let problem as Problem: return problem
        case let store as StoreError:
            let kind = store.code.rawValue.replacingOccurrences(of: "_", with: "-")
            switch store.code {
            case .notFound, .unknownQueue: return Problem(.notFound, kind, store.message)
            case .queueSuspended, .alreadyExists, .refused: return Problem(.conflict, kind, store.message)
            case .invalid: return Problem(.badRequest, kind, store.message)
            case .notAbortable: return Problem(.forbidden, kind, store.message)
            case .unavailable: return Problem(.serviceUnavailable, kind, store.message)
            default: return Problem(.internalServerError, kind, store.message)
            }
        case let invalid as InvalidField: return .badRequest(invalid.description)
        default: return Problem(.internalServerError, "internal", String(describing: error))
        }
    }
}
