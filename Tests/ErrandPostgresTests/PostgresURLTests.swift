import ErrandStore
import Testing

@testable import ErrandPostgres

/// Store URLs as libpq writes them, several servers included.
struct PostgresURLTests {
    typealias Endpoint = PostgresConfiguration.Endpoint

    @Test func oneServer() throws {
        let configuration = try PostgresConfiguration(url: "postgres://errand:secret@db.example:6543/jobs?schema=work")
        #expect(configuration.endpoints == [Endpoint(host: "db.example", port: 6543)])
        #expect(configuration.target == .any, "one server: libpq's default")
        #expect(configuration.username == "errand" && configuration.password == "secret" && configuration.database == "jobs")
        #expect(configuration.schema == "work")
    }

    @Test func severalServersDefaultToReadWrite() throws {
        let configuration = try PostgresConfiguration(url: "postgresql://u:p%40ss@h1:5433,h2,[::1]:6000,/db?pool_size=3")
        #expect(
            configuration.endpoints == [
                Endpoint(host: "h1", port: 5433), Endpoint(host: "h2", port: 5432), Endpoint(host: "::1", port: 6000),
                Endpoint(host: "127.0.0.1", port: 5432),
            ]
        )
        #expect(configuration.target == .readWrite, "Errand writes: a list of servers looks for the writable one")
        #expect(configuration.password == "p@ss" && configuration.database == "db" && configuration.poolSize == 3)
        #expect(configuration.display == "u@h1:5433,h2:5432,[::1]:6000,127.0.0.1:5432/db")
    }

    @Test(arguments: [("any", PostgresConfiguration.SessionTarget.any), ("read-write", .readWrite), ("primary", .primary)])
    func sessionTargets(name: String, target: PostgresConfiguration.SessionTarget) throws {
        #expect(try PostgresConfiguration(url: "postgres://u@h1,h2/db?target_session_attrs=\(name)").target == target)
    }

    @Test(arguments: [
        ("postgres://u@h1,h2/db?target_session_attrs=read-only", "target_session_attrs \"read-only\" is not one Errand can use"),
        ("postgres://u@h1:0/db", "port \"0\" of host \"h1:0\" is not a number from 1 to 65535"),
        ("postgres://u@h1,h2:x/db", "port \"x\" of host \"h2:x\""),
        ("postgres://u@[::1/db", "opens \"[\" without closing it"),
        ("postgres://u@h1/db?target=primary", "unknown parameter \"target\""),
        ("mysql://u@h1/db", "is not a postgres:// URL"),
        ("postgres://h1,h2/db", "names no user"),
        ("postgres://u@h1/db?poll_interval=inf", "poll_interval must be a number of seconds > 0, got \"inf\""),
        ("postgres://u@h1/db?operation_timeout=0", "operation_timeout must be a number of seconds > 0, got \"0\""),
    ])
    func badURLsSayWhatIsWrong(url: String, message: String) {
        #expect {
            try PostgresConfiguration(url: url)
        } throws: { error in
            (error as? StoreError)?.code == .invalid && (error as? StoreError)?.message.contains(message) == true
        }
    }

    @Test func redactionHidesThePasswordOfAnyURL() {
        #expect(PostgresConfiguration.redacted("postgres://u:s3cret@h1:5432,h2:5432/db") == "postgres://u:***@h1:5432,h2:5432/db")
        #expect(PostgresConfiguration.redacted("postgres://u@h1/db") == "postgres://u@h1/db")
        #expect(PostgresConfiguration.redacted("postgres://u:p@ss:w@h1/db?x=@") == "postgres://u:***@h1/db?x=@")
    }
}
