extension APIDocument {
    /// ScyllaDB's task manager paths over task trees, with ScyllaDB's field names; and the tree of a task in `/v1`.
    static let taskManagerYAML = #"""
        paths:
          /v1/tasks/{id}/tree:
            get:
              operationId: getTaskTree
              tags: [trees]
              summary: Every task of the tree this task belongs to, breadth first from its root, folded ones included.
              x-errand-role: read
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              responses:
                '200':
                  description: The tree.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [tasks]
                        properties:
                          tasks: {type: array, items: {$ref: '#/components/schemas/Task'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /task_manager/list_modules:
            get:
              operationId: listModules
              tags: [task_manager]
              summary: The names of the modules that have tasks.
              x-errand-role: read
              responses:
                '200':
                  description: Module names, sorted.
                  content: {application/json: {schema: {type: array, items: {type: string}}}}
          /task_manager/list_module_tasks/{module}:
            get:
              operationId: listModuleTasks
              tags: [task_manager]
              summary: A module's tasks, newest first (at most 10,000); folded tasks are never listed.
              description: Root tasks only, unless internal is true (then children and internal tasks too).
              x-errand-role: read
              parameters:
                - {$ref: '#/components/parameters/Module'}
                - {name: internal, in: query, description: Whether internal tasks are listed too (default false)., schema: {type: boolean}}
                - {name: keyspace, in: query, schema: {type: string, maxLength: 256}}
                - {name: table, in: query, schema: {type: string, maxLength: 256}}
              responses:
                '200':
                  description: The tasks.
                  content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/TaskStats'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /task_manager/task_status/{task_id}:
            get:
              operationId: taskStatus
              tags: [task_manager]
              summary: A task's status; reading it never removes a finished task (it stays until its TTL).
              x-errand-role: read
              parameters: [{$ref: '#/components/parameters/ManagedTaskID'}]
              responses:
                '200': {description: The status., content: {application/json: {schema: {$ref: '#/components/schemas/TaskStatus'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /task_manager/task_status_recursive/{task_id}:
            get:
              operationId: taskStatusRecursive
              tags: [task_manager]
              summary: The statuses of a task and all its descendants, breadth first (each level oldest first).
              x-errand-role: read
              parameters: [{$ref: '#/components/parameters/ManagedTaskID'}]
              responses:
                '200':
                  description: The statuses.
                  content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/TaskStatus'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /task_manager/abort_task/{task_id}:
            post:
              operationId: abortTask
              tags: [task_manager]
              summary: Abort a task and its unfinished abortable descendants; answers the task's status.
              description: >-
                Running descendants see cancellation at their worker's next heartbeat. A task that is not abortable
                refuses (403, not-abortable); a finished one conflicts (409).
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/ManagedTaskID'}]
              responses:
                '200': {description: The aborted task., content: {application/json: {schema: {$ref: '#/components/schemas/TaskStatus'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /task_manager/wait_task/{task_id}:
            get:
              operationId: waitTask
              tags: [task_manager]
              summary: Wait until the task (with its whole subtree) is finished, or the timeout passes; answers its status.
              description: >-
                A parent finishes only after its children, so waiting on a root waits for the whole operation. When
                timeout seconds pass first (default and most: the server's longest wait), the answer is the status as
                it then is: its state says which (done and failed are final).
              x-errand-role: read
              parameters:
                - {$ref: '#/components/parameters/ManagedTaskID'}
                - {name: timeout, in: query, description: Seconds., schema: {type: number, minimum: 0, maximum: 300}}
              responses:
                '200': {description: The task's status., content: {application/json: {schema: {$ref: '#/components/schemas/TaskStatus'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /task_manager/ttl:
            get:
              operationId: getTTL
              tags: [task_manager]
              summary: Seconds a finished root task (with its tree) is kept.
              x-errand-role: read
              responses:
                '200': {description: Seconds., content: {application/json: {schema: {type: integer}}}}
            post:
              operationId: setTTL
              tags: [task_manager]
              summary: Set the TTL for every node (from the next janitor round); answers the previous one.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TTL'}]
              responses:
                '200': {description: The previous TTL in seconds., content: {application/json: {schema: {type: integer}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
          /task_manager/user_ttl:
            get:
              operationId: getUserTTL
              tags: [task_manager]
              summary: Seconds a finished root task that a user started (CLI, HTTP, dashboard) is kept.
              x-errand-role: read
              responses:
                '200': {description: Seconds., content: {application/json: {schema: {type: integer}}}}
            post:
              operationId: setUserTTL
              tags: [task_manager]
              summary: Set the user TTL for every node (from the next janitor round); answers the previous one.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TTL'}]
              responses:
                '200': {description: The previous user TTL in seconds., content: {application/json: {schema: {type: integer}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
          /task_manager/drain/{module}:
            post:
              operationId: drainModule
              tags: [task_manager]
              summary: Delete the module's finished local task trees.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/Module'}]
              responses:
                '200':
                  description: How many tasks were deleted.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [deleted]
                        properties:
                          deleted: {type: integer}
                '400': {$ref: '#/components/responses/BadRequest'}
        components:
          parameters:
            ManagedTaskID:
              name: task_id
              in: path
              required: true
              schema: {type: string, format: uuid}
            Module:
              name: module
              in: path
              required: true
              schema: {type: string, minLength: 1, maxLength: 128}
            TTL:
              name: ttl
              in: query
              required: true
              schema: {type: integer, minimum: 0, maximum: 31536000}
          schemas:
            TaskManagerState:
              type: string
              enum: [created, running, done, failed]
              description: 'scheduled, pending: created; running; completed: done; failed, cancelled, dead: failed.'
            TaskStatus:
              description: >-
                A task as ScyllaDB's task manager shows it. Every field is present: unknown texts are empty, unset
                times are 1970-01-01T00:00:00Z, a root's parent_id is the nil UUID, shard is always 0.
              type: object
              additionalProperties: false
              required: [id, type, kind, scope, state, is_abortable, start_time, end_time, error, parent_id,
                sequence_number, shard, keyspace, table, entity, progress_units, progress_total, progress_completed,
                children_ids]
              properties:
                id: {type: string, format: uuid}
                type: {type: string, description: The operation (the handler's name when none was given).}
                kind: {$ref: '#/components/schemas/TaskLocality'}
                scope: {type: string}
                state: {$ref: '#/components/schemas/TaskManagerState'}
                is_abortable: {type: boolean}
                start_time: {type: string, format: date-time}
                end_time: {type: string, format: date-time}
                error: {type: string}
                parent_id: {type: string, format: uuid}
                sequence_number: {type: integer}
                shard: {type: integer}
                keyspace: {type: string}
                table: {type: string}
                entity: {type: string}
                progress_units: {type: string}
                progress_total: {type: number}
                progress_completed: {type: number}
                children_ids: {type: array, items: {type: string, format: uuid}}
            TaskStats:
              description: A task in a module's listing, as ScyllaDB's task manager shows it.
              type: object
              additionalProperties: false
              required: [task_id, state, type, kind, scope, keyspace, table, entity, sequence_number, shard, start_time, end_time]
              properties:
                task_id: {type: string, format: uuid}
                state: {$ref: '#/components/schemas/TaskManagerState'}
                type: {type: string}
                kind: {$ref: '#/components/schemas/TaskLocality'}
                scope: {type: string}
                keyspace: {type: string}
                table: {type: string}
                entity: {type: string}
                sequence_number: {type: integer}
                shard: {type: integer}
                start_time: {type: string, format: date-time}
                end_time: {type: string, format: date-time}
        """#
}
