import ArgumentParser
import Errand
import ErrandHTTP
import ErrandStore
import Foundation

/// `errand task redrive`: put a dead letter back as a task once its record is fixed.
struct TaskRedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Put a dead letter (a record that could not be read) back as a task.",
        discussion: """
            `errand task list --state deadletter -o json` shows each dead letter's body: the task's columns as \
            stored. Fix the body and pass it with -f (a file, or - for stdin); without -f the stored body is tried \
            again (after fixing the reason elsewhere, such as upgrading errand). The dead letter is removed only \
            if the task can now be read; otherwise the command exits 2 saying why.
            """
    )
    @OptionGroup var store: StoreOptions
    @Argument(help: "The dead letter's id.") var id: String
    @Option(name: [.short, .customLong("file")], help: "The fixed body (JSON of task columns), or - for stdin.") var file: String?

    func run() async throws {
        var body: String?
        if let file {
            let data = file == "-" ? try? FileHandle.standardInput.readUntilEnd() : FileManager.default.contents(atPath: file)
            guard let data, let text = String(data: data, encoding: .utf8) else {
                throw CLIFailure("cannot read the body from \(file)", exitCode: CLIFailure.badInput)
            }
            body = text
        }
        let task = try await store.open().redrive(id, body: body, now: Date())
        print("\(task.id) \(task.state.rawValue)")
    }
}
