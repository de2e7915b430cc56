import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// An error the CLI reports as one line on stderr with a chosen exit status.
///
/// Exit statuses: 1 the operation failed (not found, refused, the task failed); 2 bad input (invalid value, unknown
/// handler or queue, suspended queue); 3 the store cannot be used (unreadable path, corrupt data); 124 `task wait`
/// timed out.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    static let failed: Int32 = 1
    static let badInput: Int32 = 2
    static let storeUnavailable: Int32 = 3
    static let timedOut: Int32 = 124

    var description: String { message }

    init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// The failure to report for an error Errand raised, or `nil` for errors of argument parsing.
    init?(recognising error: any Error) {
        switch error {
        case let failure as CLIFailure:
            self = failure
        case let error as StoreError:
            switch error.code {
            case .invalid, .unknownQueue, .queueSuspended, .alreadyExists: self.init(error.message, exitCode: Self.badInput)
            case .unavailable, .corrupt: self.init(error.message, exitCode: Self.storeUnavailable)
            default: self.init(error.message, exitCode: Self.failed)
            }
        case let error as InvalidField:
            self.init(error.description, exitCode: Self.badInput)
        case let timeout as WaitTimeout:
            self.init(timeout.description, exitCode: Self.timedOut)
        case let error as HTTPServerError:
            self.init(error.description, exitCode: Self.failed)
        default:
            return nil
        }
    }
}
