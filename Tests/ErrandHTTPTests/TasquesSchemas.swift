import ErrandTesting
import Testing

/// tasques' response schemas, from its swagger (`lloydmeta/tasques`, `docs/swagger.yaml`, commit 1936803): the
/// definitions `task.Task`, `task.LastClaimed`, `task.Report`, `task.Result`, `common.Metadata`, `common.Body`,
/// `recurring.Task` and `recurring.TaskDefinition`, written as JSON Schema. Closed here (`additionalProperties:
/// false`, which tasques' swagger leaves open) so that Errand answers no field tasques does not define, with
/// `skip_if_outstanding_tasks_exist`, which tasques' later versions add to `recurring.Task`.
enum TasquesSchemas {
    static let text = #"""
        {
          "common.Body": {"type": "object", "additionalProperties": false, "required": ["message"],
            "properties": {"message": {"type": "string"}}},
          "common.Metadata": {"type": "object", "additionalProperties": false, "properties": {
            "created_at": {"type": "string", "format": "date-time"},
            "modified_at": {"type": "string", "format": "date-time"},
            "version": {"type": "object", "properties": {"primary_term": {"type": "integer"}, "seq_num": {"type": "integer"}}}}},
          "task.Report": {"type": "object", "additionalProperties": false, "required": ["at"], "properties": {
            "at": {"type": "string", "format": "date-time"}, "data": {"type": "object"}}},
          "task.Result": {"type": "object", "additionalProperties": false, "required": ["at"], "properties": {
            "at": {"type": "string", "format": "date-time"}, "failure": {"type": "object"}, "success": {"type": "object"}}},
          "task.LastClaimed": {"type": "object", "additionalProperties": false,
            "required": ["claimed_at", "times_out_at", "worker_id"], "properties": {
            "claimed_at": {"type": "string", "format": "date-time"},
            "last_report": {"$ref": "#/components/schemas/task.Report"},
            "result": {"$ref": "#/components/schemas/task.Result"},
            "times_out_at": {"type": "string", "format": "date-time"},
            "worker_id": {"type": "string"}}},
          "task.Task": {"type": "object", "additionalProperties": false,
            "required": ["attempted", "id", "kind", "last_enqueued_at", "metadata", "priority", "processing_timeout", "queue",
              "retry_times", "run_at", "state"],
            "properties": {
              "args": {"type": "object"}, "attempted": {"type": "integer"}, "context": {"type": "object"},
              "id": {"type": "string"}, "kind": {"type": "string"},
              "last_claimed": {"$ref": "#/components/schemas/task.LastClaimed"},
              "last_enqueued_at": {"type": "string", "format": "date-time"},
              "metadata": {"$ref": "#/components/schemas/common.Metadata"},
              "priority": {"type": "integer"}, "processing_timeout": {"type": "string"}, "queue": {"type": "string"},
              "recurring_task_id": {"type": "string"}, "retry_times": {"type": "integer"},
              "run_at": {"type": "string", "format": "date-time"},
              "state": {"type": "string", "enum": ["queued", "claimed", "failed", "done", "dead"]}}},
          "recurring.TaskDefinition": {"type": "object", "additionalProperties": false, "required": ["kind", "queue"],
            "properties": {
              "args": {"type": "object"}, "context": {"type": "object"}, "kind": {"type": "string"},
              "priority": {"type": "integer"}, "processing_timeout": {"type": "string"}, "queue": {"type": "string"},
              "retry_times": {"type": "integer"}}},
          "recurring.Task": {"type": "object", "additionalProperties": false,
            "required": ["id", "metadata", "schedule_expression", "task_definition"],
            "properties": {
              "id": {"type": "string"}, "loaded_at": {"type": "string"},
              "metadata": {"$ref": "#/components/schemas/common.Metadata"},
              "schedule_expression": {"type": "string"},
              "skip_if_outstanding_tasks_exist": {"type": "boolean"},
              "task_definition": {"$ref": "#/components/schemas/recurring.TaskDefinition"}}}
        }
        """#

    static let fixture = SchemaFixture("tasques", definitions: text)

    /// Records an issue unless `answer`'s body is `definition` (or, with `array`, a list of them).
    static func expect(_ answer: HTTPAnswer, is definition: String, array: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        fixture.expect(answer, is: definition, array: array, sourceLocation: sourceLocation)
    }
}
