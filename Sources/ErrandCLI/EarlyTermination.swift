import Foundation
import Synchronization

/// SIGTERM or SIGINT that arrives while a node is still starting (opening the store, migrating), before the service
/// group listens for signals: remembered, so that the node shuts down cleanly (exit 0) as soon as it runs, instead of
/// dying of the signal. A supervisor (systemd, Kubernetes, a test) that stops a node it has just started gets the
/// same answer as for one that has run a while.
enum EarlyTermination {
    private static let received = Atomic<Bool>(false)

    /// Whether a termination signal came before the service group took the signals over.
    static var wasRequested: Bool { received.load(ordering: .relaxed) }

    /// Catches SIGTERM and SIGINT until the service group installs its own handling (which replaces this).
    static func install() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig) { _ in EarlyTermination.received.store(true, ordering: .relaxed) }
        }
    }
}
