import ArgumentParser
import Errand
import ErrandCore
import ErrandProcess
import ErrandStore
import Foundation

extension Pftaskqueue {
    struct AddTask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-task",
            abstract: "Add tasks to a queue from YAML task specs (pftaskqueue's TaskSpec), one per `---` document.",
            discussion: """
                Keys: name, payload, retryLimit, timeoutSeconds, and any key of `errand task add -f`. -f takes a file, \\
                - for stdin, or a directory: its .yaml and .yml files in name order (with -R, its subdirectories' \\
                too). A failed attempt is retried at once, and a suspended queue takes the tasks, as in pftaskqueue. \\
                Every task is checked before any is added. Prints the new ids.
                """
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var queue: String
        @Option(name: [.short, .customLong("file")], help: "YAML file, directory of YAML files, or - for stdin.") var file: String = "-"
        @Flag(name: [.customShort("R"), .long], help: "With a directory, read its subdirectories too.") var recursive = false

        func run() async throws {
            var add = try TaskAddCommand.parse(["--queue", queue, "--any-handler", "--retry-delay", "0"])
            add.store = store
            let defaults = try add.defaults()
            var tasks: [NewTask] = []
            for path in try Self.specFiles(file, recursive: recursive) {
                do {
                    tasks += try TaskSpec.tasks(in: try SpecDocument.parse(try add.readSpec(path)), defaults: defaults)
                } catch let failure as CLIFailure {
                    throw failure
                } catch {
                    throw CLIFailure("\(path): \(error)", exitCode: CLIFailure.badInput)
                }
            }
            // A suspended queue takes tasks, as pftaskqueue's does (its runbook: create suspended, fill, resume).
            try await add.add(tasks, intoSuspendedQueues: true)
        }

        /// The spec files `path` names: itself (or stdin), or a directory's `.yaml` and `.yml` files in path order.
        static func specFiles(_ path: String, recursive: Bool) throws -> [String] {
            var isDirectory: ObjCBool = false
            guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                return [path]
            }
            let root = URL(fileURLWithPath: path)
            let names: [String]
            do {
                names =
                    recursive
                    ? try FileManager.default.subpathsOfDirectory(atPath: path)
                    : try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw CLIFailure("cannot read directory \(path): \(error.localizedDescription)", exitCode: CLIFailure.badInput)
            }
            return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { root.appendingPathComponent($0).path }.filter {
                var directory: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &directory) && !directory.boolValue
            }
        }
    }

    struct GenerateTask: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-task",
            abstract: "Print a YAML TaskSpec per line of a payloads file (pftaskqueue), for add-task.",
            discussion: "pftaskqueue generate-task --retry-limit 3 --timeout 10m -f payloads | pftaskqueue add-task QUEUE"
        )
        @Option(name: [.short, .customLong("file")], help: "Payloads, one per line, or - for stdin.") var file: String = "-"
        @Option(help: "retryLimit of each task.") var retryLimit: Int = 3
        @Option(help: "timeoutSeconds of each task, as a Go duration (1m, 90s).") var timeout: String = "1m"

        func run() throws {
            guard let seconds = GoDuration.seconds(timeout), seconds >= 0 else {
                throw CLIFailure("--timeout: \"\(timeout)\" is not a Go duration such as 10m or 1m30s", exitCode: CLIFailure.badInput)
            }
            let text: String
            if file == "-" {
                text = String(decoding: try FileHandle.standardInput.readUntilEnd(), as: UTF8.self)
            } else {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                    let data = FileManager.default.contents(atPath: file)
                else { throw CLIFailure("\(file): must be a readable file of payloads", exitCode: CLIFailure.badInput) }
                text = String(decoding: data, as: UTF8.self)
            }
            var lines = text.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            for line in lines {
                let spec: OutputJSON = .object([
                    ("retryLimit", .int(retryLimit)), ("payload", .string(line)), ("timeoutSeconds", .int(Int(seconds))),
                ])
                print("---\n" + (try Output.yaml(spec)))
            }
        }
    }

    struct PrintConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "print-config",
            abstract: "Print the worker settings start-worker would run with, in pftaskqueue's names (flags, PFTQ_*, --config).",
            discussion: "Takes start-worker's flags. Only the worker: section: tasks live in Errand's store, not Redis."
        )
        @OptionGroup var worker: WorkerCommand

        func run() async throws {
            var defaults = ProcessWorkerOptions.Defaults.pftaskqueue
            defaults.requiresQueue = false  // printing needs no queue
            let file = try worker.node.file()
            let resolved = try worker.process.resolve(command: worker.command, file: file.worker, queues: worker.node.queue, defaults: defaults)
            let process = resolved.handlerSettings
            let stop = resolved.stopWhen
            let presence = resolved.presence
            let handler: [(String, OutputJSON)] = [
                ("defaultTimeout", .string(GoDuration.text(process.defaultTimeout))),
                ("cleanupWorkspaceDir", .bool(process.cleanupWorkspace)),
                ("commands", .array(process.command.map { .string($0) })),
            ]
            let section: OutputJSON = .object([
                ("queueName", .string(resolved.queues.first ?? "")),
                ("name", .string(presence.name ?? "")),
                ("concurrency", .int(resolved.concurrency)),
                ("taskHandler", .object(handler)),
                (
                    "heartBeat",
                    .object([
                        ("interval", .string(GoDuration.text(presence.heartbeatInterval))),
                        ("expirationDuration", .string(GoDuration.text(presence.heartbeatExpiration))),
                        ("salvageDuration", .string(GoDuration.text(presence.salvageAfter))),
                    ])
                ),
                ("exitOnSuspend", .bool(stop.onSuspend)),
                ("exitOnEmpty", .bool(stop.idleFor != nil)),
                ("exitOnEmptyGracePeriod", .string(GoDuration.text(stop.idleFor ?? 10))),
                ("numTasks", .int(stop.maxTasks ?? 0)),
                ("workDir", .string(process.workDirectory)),
                ("numWorkerSalvageOnStartup", .int(presence.salvageOnStart)),
            ])
            print(try Output.yaml(.object([("worker", section)])))
        }
    }

    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "version",
            abstract: "Print the version, as pftaskqueue does: {\"Version\": …, \"Revision\": …}."
        )

        func run() {
            print(#"{"Version": "\#(ErrandVersion.version)", "Revision": "\#(ErrandVersion.revision)"}"#)
        }
    }
}

/// This build's version, for `errand version`.
enum ErrandVersion {
    static let version = "0.18.0"
    /// The commit it was built from: SwiftPM hands a build no variables, so the binary does not know it.
    static let revision = "unknown"
}
