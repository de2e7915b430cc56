import ErrandCore
import Foundation
import Testing

/// The configuration model read from parsed YAML trees (the CLI parses the text; see `ConfigCommandTests`).
@Suite(.timeLimit(.minutes(5))) struct ErrandConfigTests {
    /// Tarantool's task manager example (its documentation's second, verbatim), as Yams parses it.
    static var tarantool: [String: Any] {
        [
            "tasks": [
                "my_reload": ["kind": "periodical", "func_name": "my_module.cache_reload", "schedule": "*/* 1 * * * *", "time_to_resolve": 180],
                "my_flush": ["kind": "single_shot", "func_name": "my_module.cache_flush", "args": ["a", "b"]],
                "push_metrics": ["kind": "continuous", "func_name": "my_module.push_metrics", "pause_sec": 30],
            ] as [String: Any],
            "task_storage": ["task_ttr": 60, "task_log_max_size": 100],
            "task_runner": ["capacity": 128],
        ]
    }

    @Test func tarantoolsLayoutIsReadAsIs() throws {
        let config = try ErrandConfig(document: Self.tarantool)
        #expect(config.definitions.map(\.name) == ["my_flush", "my_reload", "push_metrics"])
        let reload = try #require(config.tasks["my_reload"])
        #expect(reload.kind == .periodical)
        #expect(reload.handler == "my_module.cache_reload")
        // ccronexpr refuses */*; the documentation says "every minute", and that is how it is read, with one warning.
        #expect(reload.schedule?.expression == "0 * * * * *")
        #expect(config.warnings.count == 1)
        #expect(config.warnings.first?.hasPrefix(#"tasks.my_reload.schedule: "*/* 1 * * * *" is not valid cron"#) == true)
        #expect(config.warnings.first?.contains(#"every minute: "0 * * * * *" (next: "#) == true)
        #expect(reload.timeToResolve == 180)
        #expect(reload.catchUp == .latest)
        #expect(reload.skipIfOutstanding == false)
        let flush = try #require(config.tasks["my_flush"])
        #expect(flush.kind == .singleShot)
        #expect(flush.arguments == #"["a","b"]"#)
        #expect(flush.timeToResolve == 60, "task_ttr is the default lease")
        let push = try #require(config.tasks["push_metrics"])
        #expect(push.kind == .continuous)
        #expect(push.pauseSeconds == 30)
        #expect(config.runner.capacity == 128)
        #expect(config.storage.taskLogMaxSize == 100)
        let launch = flush.newTask()
        #expect(launch.handler == "my_module.cache_flush")
        #expect(launch.module == "my_flush")
        #expect(launch.timeToResolve == 60)
    }

    @Test func definitionsTakeTarantoolsDefaults() throws {
        let config = try ErrandConfig(document: Self.tarantool)
        for definition in config.definitions {
            #expect(definition.retry.maxAttempts == 1, "\(definition.name): Tarantool's max_attempts default is 1")
            #expect(definition.retry.delay == 0)
            #expect(definition.retry.delayFactor == 1)
            let launch = definition.newTask()
            #expect(launch.fixedLease, "time_to_resolve bounds a launch's attempt")
            #expect(launch.retry == definition.retry)
        }
        let plain = try ErrandConfig(document: ["tasks": ["pump": ["kind": "continuous", "func_name": "m.f"]]])
        #expect(plain.tasks["pump"]?.pauseSeconds == 60, "Tarantool's pause_sec default")
        #expect(plain.tasks["pump"]?.timeout == nil)
        let limited = try ErrandConfig(document: [
            "task_storage": ["task_ttr": 5],
            "tasks": ["x": ["kind": "single_shot", "func_name": "m.f", "timeout": 2, "fixed_lease": false]],
        ])
        let x = try #require(limited.tasks["x"])
        #expect(x.timeToResolve == 5 && x.timeout == 2 && !x.fixedLease)
        #expect(x.newTask().timeout == 2 && !x.newTask().fixedLease)
        // Any other */* is an invalid step, refused as ccronexpr refuses it.
        #expect(throws: ConfigProblems.self) {
            try ErrandConfig(document: ["tasks": ["x": ["kind": "periodical", "func_name": "m.f", "schedule": "*/* 5 * * * *"]]])
        }
    }

    @Test func anEmptyDocumentIsTheDefaultConfiguration() throws {
        #expect(try ErrandConfig(document: nil) == ErrandConfig())
        #expect(try ErrandConfig(document: NSNull()) == ErrandConfig())
        #expect(try ErrandConfig(document: ["tasks": NSNull()]) == ErrandConfig())
    }

    @Test func errandsOwnKeysAreRead() throws {
        let config = try ErrandConfig(document: [
            "tasks": [
                "nightly": [
                    "kind": "periodical", "handler": "reports.build", "schedule": "@daily", "timezone": "Europe/Paris",
                    "skip_if_outstanding": true, "catch_up": "none", "queue": "reports", "priority": 3, "max_attempts": 5,
                    "delay": 2.5, "delay_factor": 3, "max_delay": 60, "jitter": 0.1, "priority_decrement": 1,
                    "arguments": ["day": "today"],
                ] as [String: Any]
            ]
        ])
        let nightly = try #require(config.tasks["nightly"])
        #expect(nightly.timeZone == "Europe/Paris")
        #expect(nightly.skipIfOutstanding)
        #expect(nightly.catchUp == TaskDefinition.CatchUp.none)
        #expect(nightly.queue == "reports")
        #expect(nightly.priority == 3)
        #expect(nightly.retry == RetryPolicy(maxAttempts: 5, delay: 2.5, delayFactor: 3, maxDelay: 60, jitter: 0.1, priorityDecrement: 1))
        #expect(nightly.arguments == #"{"day":"today"}"#)
    }

    @Test func aCommandRunsAProgramWithoutAShell() throws {
        let config = try ErrandConfig(document: [
            "tasks": ["backup": ["kind": "periodical", "schedule": "@daily", "command": ["/usr/bin/backup", "--all"]]]
        ])
        let backup = try #require(config.tasks["backup"])
        #expect(backup.handler == "errand.command")
        #expect(backup.arguments == #"{"argv":["/usr/bin/backup","--all"]}"#)
        #expect(throws: ConfigProblems.self) { try ErrandConfig(document: ["tasks": ["x": ["kind": "single_shot", "command": [] as [Any]]]]) }
        #expect(throws: ConfigProblems.self) {
            try ErrandConfig(document: ["tasks": ["x": ["kind": "single_shot", "command": ["a"], "func_name": "m.f"]]])
        }
    }

    static var invalid: [(String, [String: Any], String)] {
        [
            (
                "bad cron", ["my_reload": ["kind": "periodical", "func_name": "m.f", "schedule": "0 61 * * * *"]],
                #"tasks.my_reload.schedule: field 2 "61": minute must be 0-59"#
            ),
            (
                "unknown kind", ["x": ["kind": "sometimes", "func_name": "m.f"]],
                #"tasks.x.kind: must be periodical, continuous or single_shot, got "sometimes""#
            ),
            ("missing kind", ["x": ["func_name": "m.f"]], "tasks.x.kind: is required"),
            ("missing func_name", ["x": ["kind": "continuous"]], "tasks.x.func_name: is required"),
            (
                "negative pause", ["x": ["kind": "continuous", "func_name": "m.f", "pause_sec": -1]],
                "tasks.x.pause_sec: must be a number of seconds >= 0, got -1.0"
            ),
            ("missing schedule", ["x": ["kind": "periodical", "func_name": "m.f"]], "tasks.x.schedule: is required for a periodical task"),
            (
                "schedule on a single shot", ["x": ["kind": "single_shot", "func_name": "m.f", "schedule": "@daily"]],
                "tasks.x.schedule: applies only to periodical tasks"
            ),
            (
                "pause on a periodical", ["x": ["kind": "periodical", "func_name": "m.f", "schedule": "@daily", "pause_sec": 1]],
                "tasks.x.pause_sec: applies only to continuous tasks"
            ),
            ("unknown key", ["x": ["kind": "single_shot", "func_name": "m.f", "retries": 3]], "tasks.x.retries: is not a task definition key"),
            (
                "wrong type", ["x": ["kind": "single_shot", "func_name": "m.f", "priority": "high"]],
                #"tasks.x.priority: must be an integer, got "high""#
            ),
            ("bad handler name", ["x": ["kind": "single_shot", "func_name": "m f"]], "tasks.x.func_name:"),
            ("bad retry", ["x": ["kind": "single_shot", "func_name": "m.f", "delay_factor": 0.5]], "tasks.x.delay_factor: must be >= 1"),
            (
                "bad timezone", ["x": ["kind": "periodical", "func_name": "m.f", "schedule": "@daily", "timezone": "Mars/Base"]],
                "tasks.x.timezone: unknown time zone"
            ),
            (
                "bad catch-up", ["x": ["kind": "periodical", "func_name": "m.f", "schedule": "@daily", "catch_up": "some"]],
                "tasks.x.catch_up: must be latest, all or none"
            ),
            ("bad name", ["a b": ["kind": "single_shot", "func_name": "m.f"]], #"tasks.a b: task name "a b" contains " ""#),
            ("not a mapping", ["x": "periodical"], #"tasks.x: must be a mapping, got "periodical""#),
        ]
    }

    @Test(arguments: [
        "bad cron", "unknown kind", "missing kind", "missing func_name", "negative pause", "missing schedule",
        "schedule on a single shot", "pause on a periodical", "unknown key", "wrong type", "bad handler name", "bad retry",
        "bad timezone", "bad catch-up", "bad name", "not a mapping",
    ])
    func invalidDefinitionsAreRefusedWithTheirPath(_ name: String) throws {
        let (_, tasks, message) = try #require(Self.invalid.first { $0.0 == name })
        do {
            _ = try ErrandConfig(document: ["tasks": tasks])
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
        }
    }

    @Test func everyProblemIsReportedOncePerDefinition() {
        do {
            _ = try ErrandConfig(document: [
                "tasks": [
                    "a": ["kind": "nope", "func_name": "m.f"], "b": ["kind": "continuous"], "c": ["kind": "single_shot", "func_name": "m.f"],
                ],
                "task_runner": ["capacity": 0], "extra": 1,
            ])
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map(\.field) == ["extra", "task_runner.capacity", "tasks.a.kind", "tasks.b.func_name"])
        }
    }

    @Test func everyInvalidCaseIsRun() {
        #expect(Self.invalid.count == 16)
    }

    @Test func invalidSettingsAreRefusedWithTheirPath() {
        #expect(throws: ConfigProblems([InvalidField(field: "task_runner.capacity", reason: "must be at least 1, got 0")])) {
            try ErrandConfig(document: ["task_runner": ["capacity": 0]])
        }
        #expect(throws: ConfigProblems([InvalidField(field: "task_storage.task_ttr", reason: "must be a number of seconds > 0, got -5.0")])) {
            try ErrandConfig(document: ["task_storage": ["task_ttr": -5]])
        }
        #expect(
            throws: ConfigProblems([
                InvalidField(field: "bogus", reason: "is not a top-level section; known: http, observers, task_runner, task_storage, tasks, worker")
            ])
        ) {
            try ErrandConfig(document: ["bogus": 1])
        }
        #expect(throws: ConfigProblems([InvalidField(field: "http.auth", reason: "must be token or none, got \"basic\"")])) {
            try ErrandConfig(document: ["http": ["auth": "basic"]])
        }
        #expect(
            throws: ConfigProblems([InvalidField(field: "http.tokens[0].token", reason: "must be at least 16 characters (it is a secret)")])
        ) {
            try ErrandConfig(document: ["http": ["tokens": [["token": "short", "role": "admin"]]]])
        }
        #expect(throws: ConfigProblems([InvalidField(field: "http.tokens[0].role", reason: "must be read or admin, got \"root\"")])) {
            try ErrandConfig(document: ["http": ["tokens": [["token": "0123456789abcdef", "role": "root"]]]])
        }
        #expect(throws: ConfigProblems([InvalidField(field: "tasks", reason: "must be a mapping of task names to definitions, got a list")])) {
            try ErrandConfig(document: ["tasks": [1, 2]])
        }
    }
}
