extension APIDocument {
    /// Paths for enqueueing, reading, waiting for, cancelling and retrying tasks.
    static let tasksYAML = #"""
        paths:
          /v1/tasks:
            post:
              operationId: enqueueTask
              tags: [tasks]
              summary: Enqueue one task.
              description: >-
                201 when a task was stored; 200 with the existing task when an unfinished task of the same queue has
                the idempotency key already (nothing new is stored).
              x-errand-role: admin
              requestBody:
                required: true
                content:
                  application/json: {schema: {$ref: '#/components/schemas/NewTask'}}
              responses:
                '201':
                  description: Stored.
                  content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}
                  links:
                    GetTask: {operationId: getTask, parameters: {id: '$response.body#/id'}}
                    ListAttempts: {operationId: listAttempts, parameters: {id: '$response.body#/id'}}
                    WaitForTask: {operationId: waitForTask, parameters: {id: '$response.body#/id'}}
                    CancelTask: {operationId: cancelTask, parameters: {id: '$response.body#/id'}}
                    RetryTask: {operationId: retryTask, parameters: {id: '$response.body#/id'}}
                '200': {description: The task with this idempotency key., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
                '413': {$ref: '#/components/responses/TooLarge'}
            get:
              operationId: listTasks
              tags: [tasks]
              summary: List tasks, newest first, a page at a time.
              x-errand-role: read
              parameters:
                - {name: queue, in: query, schema: {$ref: '#/components/schemas/QueueName'}}
                - name: state
                  in: query
                  style: form
                  explode: true
                  schema: {type: array, maxItems: 7, items: {$ref: '#/components/schemas/TaskState'}}
                - {name: handler, in: query, schema: {$ref: '#/components/schemas/HandlerName'}}
                - {name: parent_id, in: query, schema: {type: string, format: uuid}}
                - {name: module, in: query, schema: {type: string, minLength: 1, maxLength: 128}}
                - {name: roots_only, in: query, description: Only tasks without a parent (default false)., schema: {type: boolean}}
                - {name: include_internal, in: query, description: List internal tasks too (default true)., schema: {type: boolean}}
                - {name: include_folded, in: query, description: 'List folded tasks too (default false; a parent_id listing always does).', schema: {type: boolean}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
                - {name: cursor, in: query, description: The next_cursor of the previous page., schema: {type: string, format: uuid}}
              responses:
                '200':
                  description: One page.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [tasks, next_cursor]
                        properties:
                          tasks: {type: array, items: {$ref: '#/components/schemas/Task'}}
                          next_cursor: {type: [string, 'null'], format: uuid, description: Pass as cursor for the next page; null on the last.}
                '400': {$ref: '#/components/responses/BadRequest'}
          /v1/tasks/batch:
            post:
              operationId: enqueueTasks
              tags: [tasks]
              summary: Enqueue up to 1,000 tasks in one transaction (all or none).
              x-errand-role: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [tasks]
                      properties:
                        tasks: {type: array, minItems: 1, maxItems: 1000, items: {$ref: '#/components/schemas/NewTask'}}
              responses:
                '201':
                  description: One result per task, in order; created is false where an idempotency key matched.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [results]
                        properties:
                          results:
                            type: array
                            items:
                              type: object
                              additionalProperties: false
                              required: [created, task]
                              properties:
                                created: {type: boolean}
                                task: {$ref: '#/components/schemas/Task'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
                '413': {$ref: '#/components/responses/TooLarge'}
          /v1/tasks/{id}:
            get:
              operationId: getTask
              tags: [tasks]
              summary: One task.
              x-errand-role: read
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              responses:
                '200': {description: The task., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/tasks/{id}/attempts:
            get:
              operationId: listAttempts
              tags: [tasks]
              summary: The task's history, oldest attempt first.
              x-errand-role: read
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              responses:
                '200':
                  description: The launch log.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [attempts]
                        properties:
                          attempts: {type: array, items: {$ref: '#/components/schemas/Attempt'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/tasks/{id}/wait:
            get:
              operationId: waitForTask
              tags: [tasks]
              summary: Wait until the task is finished, or the timeout passes; answers the task as it then is.
              description: The task's state tells which happened (completed, failed, cancelled and dead are final).
              x-errand-role: read
              parameters:
                - {$ref: '#/components/parameters/TaskID'}
                - {name: timeout, in: query, description: Seconds (default 30)., schema: {type: number, minimum: 0, maximum: 300}}
              responses:
                '200': {description: The task., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/tasks/{id}/cancel:
            post:
              operationId: cancelTask
              tags: [tasks]
              summary: Cancel a task that has not finished; a running task's worker learns of it at its next heartbeat.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        reason: {type: [string, 'null'], maxLength: 1024}
              responses:
                '200': {description: The cancelled task., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/tasks/{id}/retry:
            post:
              operationId: retryTask
              tags: [tasks]
              summary: Run a finished task once more.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              responses:
                '200': {description: 'The task, pending again.', content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
        """#
}
