import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization

/// `GET /v1/events`: the store's state changes as server-sent events.
struct EventOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] { ["streamEvents": streamEvents] }

    /// Seconds between keep-alive comments, so that proxies do not cut a quiet stream.
    static let keepAlive: Double = 15

    @Sendable func streamEvents(_ request: APIRequest) async throws -> Response {
        let filter = StateChangeFilter(
            queue: request.queryString("queue"),
            handler: request.queryString("handler"),
            taskID: request.queryString("task_id").flatMap(TaskID.init)
        )
        // Made here, so that a cursor of another store is a 400 before the stream starts.
        let start = try await StateChangeFollower(
            store: services.store,
            after: request.queryString("after") ?? request.queryString("Last-Event-ID"),
            matching: filter
        )
        let longest = services.longestWait
        let window = request.queryNumber("coalesce").map { Duration.milliseconds(Int64($0)) }
        let body = ResponseBody { writer in
            var follower = start
            var buffer = ByteBuffer()
            // The opening block's id is where the stream starts: a client that reconnects before any event arrived
            // resumes from there (Last-Event-ID), missing nothing that happened while it was away.
            buffer.writeString("retry: 1000\nid: \(start.cursor)\n: errand state changes\n\n")
            try await writer.write(buffer)
            let clock = ContinuousClock()
            let ends = clock.now.advanced(by: .milliseconds(Int64(longest * 1000)))
            var lastWrite = clock.now
            // A server shutting down ends its streams within a poll interval (clients resume after their last
            // event), instead of holding the shutdown until each stream's longest wait is over.
            let stopping = Mutex(false)
            // With `coalesce`, the changes of each window go out as one summary when the window ends.
            var summary = ChangeSummary()
            var summaryDue: ContinuousClock.Instant?
            try await withGracefulShutdownHandler {
                while clock.now < ends, !stopping.withLock({ $0 }) {
                    let until = summaryDue.map { min($0, ends) } ?? ends
                    let changes = try await follower.next(waitingAtMost: max(0, (until - clock.now).seconds))
                    var out = ByteBuffer()
                    if let window {
                        for change in changes { summary.add(change) }
                        if !summary.isEmpty, summaryDue == nil { summaryDue = clock.now.advanced(by: window) }
                        if let due = summaryDue, clock.now >= due {
                            out.writeString(summary.event(cursor: follower.cursor))
                            summary = ChangeSummary()
                            summaryDue = nil
                        }
                    } else {
                        for change in changes { out.writeString(Self.event(change)) }
                    }
                    // An observer's run that completed is announced as a report, with its result.
                    for change in changes where change.handler == Observer.handler && change.to == .completed {
                        guard let task = try await services.client.task(change.taskID), task.state == .completed else { continue }
                        out.writeString("id: \(change.cursor)\nevent: report\ndata: \(Representation.observerReport(task).text)\n\n")
                    }
                    if out.readableBytes == 0, clock.now - lastWrite >= .seconds(Self.keepAlive) { out.writeString(": keep-alive\n\n") }
                    guard out.readableBytes > 0 else { continue }
                    try await writer.write(out)
                    lastWrite = clock.now
                }
            } onGracefulShutdown: {
                stopping.withLock { $0 = true }
            }
            if !summary.isEmpty {
                var out = ByteBuffer()
                out.writeString(summary.event(cursor: follower.cursor))
                try await writer.write(out)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// One change as a server-sent event: the change and the task as it was just after it (``StateChange``).
    static func event(_ change: StateChange) -> String {
        var members: [(String, OutputJSON)] = [
            ("task_id", .string(change.taskID.rawValue)),
            ("queue", .string(change.queue)),
            ("handler", .string(change.handler)),
            ("from", .nullable(change.from?.rawValue)),
            ("to", .string(change.to.rawValue)),
            ("attempt", .int(change.attempt)),
            ("at", .date(change.at)),
            ("priority", .int(change.priority)),
            ("retries_left", .int(change.retriesLeft)),
            ("worker", .nullable(change.worker)),
        ]
        if let outcome = change.outcome {
            members += [
                ("result", .stored(outcome.result)),
                ("message", .nullable(outcome.message)),
                ("error", .nullable(outcome.error)),
                ("truncated", .bool(outcome.truncated)),
            ]
        }
        return "id: \(change.cursor)\nevent: transition\ndata: \(OutputJSON.object(members).text)\n\n"
    }
}
