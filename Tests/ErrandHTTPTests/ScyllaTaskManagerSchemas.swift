import ErrandTesting
import Testing

/// ScyllaDB's task manager models, from `scylladb/scylladb`'s `api/api-doc/task_manager.json` (swagger 1.2:
/// `task_stats`, `task_status`, `task_identity`) as `api/task_manager.cc` fills them in the version with
/// `user_ttl` and `drain` (`make_stats`, `make_status`), written as JSON Schema. Swagger 1.2's `long` is an integer,
/// `double` a number, `datetime` seastar's `%Y-%m-%dT%H:%M:%SZ`. Closed (`additionalProperties: false`, every field
/// required, as seastar writes every member) so that Errand answers no field ScyllaDB does not, and misses none.
/// `error_body` is seastar's `json_exception` (`{"message", "code"}`), the body of every error status.
enum ScyllaTaskManagerSchemas {
    static let text = #"""
        {
          "datetime": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
          "state": {"type": "string", "enum": ["created", "running", "done", "failed"]},
          "kind": {"type": "string", "enum": ["node", "cluster"]},
          "uuid": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
          "task_identity": {"type": "object", "additionalProperties": false, "required": ["task_id", "node"],
            "properties": {"task_id": {"$ref": "#/components/schemas/uuid"}, "node": {"type": "string"}}},
          "task_stats": {"type": "object", "additionalProperties": false,
            "required": ["task_id", "type", "kind", "scope", "state", "sequence_number", "keyspace", "table", "entity", "shard",
              "start_time", "end_time"],
            "properties": {
              "task_id": {"$ref": "#/components/schemas/uuid"}, "type": {"type": "string"},
              "kind": {"$ref": "#/components/schemas/kind"}, "scope": {"type": "string"},
              "state": {"$ref": "#/components/schemas/state"}, "sequence_number": {"type": "integer"},
              "keyspace": {"type": "string"}, "table": {"type": "string"}, "entity": {"type": "string"},
              "shard": {"type": "integer"}, "start_time": {"$ref": "#/components/schemas/datetime"},
              "end_time": {"$ref": "#/components/schemas/datetime"}}},
          "task_status": {"type": "object", "additionalProperties": false,
            "required": ["id", "type", "kind", "scope", "state", "is_abortable", "start_time", "end_time", "error", "parent_id",
              "sequence_number", "shard", "keyspace", "table", "entity", "progress_units", "progress_total",
              "progress_completed", "children_ids"],
            "properties": {
              "id": {"$ref": "#/components/schemas/uuid"}, "type": {"type": "string"},
              "kind": {"$ref": "#/components/schemas/kind"}, "scope": {"type": "string"},
              "state": {"$ref": "#/components/schemas/state"}, "is_abortable": {"type": "boolean"},
              "start_time": {"$ref": "#/components/schemas/datetime"}, "end_time": {"$ref": "#/components/schemas/datetime"},
              "error": {"type": "string"},
              "parent_id": {"anyOf": [{"$ref": "#/components/schemas/uuid"}, {"type": "string", "enum": ["none"]}]},
              "sequence_number": {"type": "integer"}, "shard": {"type": "integer"},
              "keyspace": {"type": "string"}, "table": {"type": "string"}, "entity": {"type": "string"},
              "progress_units": {"type": "string"}, "progress_total": {"type": "number"},
              "progress_completed": {"type": "number"},
              "children_ids": {"type": "array", "items": {"$ref": "#/components/schemas/task_identity"}}}},
          "modules": {"type": "array", "items": {"type": "string"}},
          "ttl": {"type": "integer", "minimum": 0},
          "error_body": {"type": "object", "additionalProperties": false, "required": ["message", "code"],
            "properties": {"message": {"type": "string"}, "code": {"type": "integer"}}}
        }
        """#

    static let fixture = SchemaFixture("ScyllaDB", definitions: text)

    /// Records an issue unless `answer` has `status` and its body is `definition` (or, with `array`, a list of them);
    /// an error status's body must be seastar's error body with that code.
    static func expect(
        _ answer: HTTPAnswer,
        _ status: Int,
        is definition: String? = nil,
        array: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(answer.status == status, "answered \(answer.status), ScyllaDB answers \(status): \(answer.text)", sourceLocation: sourceLocation)
        if status >= 400 {
            fixture.expect(answer, is: "error_body", sourceLocation: sourceLocation)
            #expect(answer.object["code"] as? Int == status, "\(answer.text)", sourceLocation: sourceLocation)
        } else if let definition {
            fixture.expect(answer, is: definition, array: array, sourceLocation: sourceLocation)
        } else {
            #expect(answer.body.isEmpty, "ScyllaDB answers nothing (json_void): \(answer.text)", sourceLocation: sourceLocation)
        }
    }
}
