extension APIDocument {
    /// Paths for remote workers: claim, heartbeat, complete, fail, unclaim, and finish in batches.
    static let leasesYAML = #"""
        paths:
          /v1/claims:
            post:
              operationId: claimTasks
              tags: [workers]
              summary: Lease up to max due tasks, waiting up to wait seconds for one to arrive.
              description: >-
                Each task answered is running, leased to worker for its time_to_resolve: heartbeat before
                lease_expires_at, then complete, fail or unclaim it with the worker and attempt it was answered with.
              x-errand-role: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [worker]
                      properties:
                        worker: {$ref: '#/components/schemas/WorkerName'}
                        queues: {type: array, maxItems: 100, items: {$ref: '#/components/schemas/QueueName'}, description: Default all active queues.}
                        handlers: {type: array, maxItems: 100, items: {$ref: '#/components/schemas/HandlerName'}, description: Default any handler.}
                        max: {type: integer, minimum: 1, maximum: 1000, description: Default 1.}
                        wait: {type: number, minimum: 0, maximum: 60, description: Seconds to wait when nothing is due (default 0).}
              responses:
                '200':
                  description: The leased tasks (none when nothing was due in time).
                  links:
                    HeartbeatTask:
                      operationId: heartbeatTask
                      parameters: {id: '$response.body#/tasks/0/id'}
                      requestBody: {worker: '$response.body#/tasks/0/worker', attempt: '$response.body#/tasks/0/attempt'}
                    CompleteTask:
                      operationId: completeTask
                      parameters: {id: '$response.body#/tasks/0/id'}
                      requestBody: {worker: '$response.body#/tasks/0/worker', attempt: '$response.body#/tasks/0/attempt'}
                    FailTask:
                      operationId: failTask
                      parameters: {id: '$response.body#/tasks/0/id'}
                      requestBody: {worker: '$response.body#/tasks/0/worker', attempt: '$response.body#/tasks/0/attempt', message: failed by a link}
                    UnclaimTask:
                      operationId: unclaimTask
                      parameters: {id: '$response.body#/tasks/0/id'}
                      requestBody: {worker: '$response.body#/tasks/0/worker', attempt: '$response.body#/tasks/0/attempt'}
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [tasks]
                        properties:
                          tasks: {type: array, items: {$ref: '#/components/schemas/Task'}}
                '400': {$ref: '#/components/responses/BadRequest'}
          /v1/tasks/{id}/heartbeat:
            post:
              operationId: heartbeatTask
              tags: [workers]
              summary: Extend the lease by the task's time_to_resolve, and record progress if given.
              description: >-
                409 when the lease is no longer held (expired, or the task was cancelled); stop working on it. The
                progress (completed, and total when known, in units of the worker's choosing) shows on the task.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [worker, attempt]
                      properties:
                        worker: {$ref: '#/components/schemas/WorkerName'}
                        attempt: {type: integer, minimum: 1, maximum: 1000000}
                        progress:
                          type: object
                          additionalProperties: false
                          required: [completed]
                          properties:
                            completed: {type: number, minimum: 0, maximum: 1000000000000000}
                            total: {type: [number, 'null'], minimum: 0, maximum: 1000000000000000}
              responses:
                '200': {description: The task with its new lease_expires_at., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/tasks/{id}/complete:
            post:
              operationId: completeTask
              tags: [workers]
              summary: End the leased attempt successfully, with an optional result.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [worker, attempt]
                      properties:
                        worker: {$ref: '#/components/schemas/WorkerName'}
                        attempt: {type: integer, minimum: 1, maximum: 1000000}
                        result: {description: Any JSON value; at most 1 MiB as text.}
                        message: {type: [string, 'null'], maxLength: 65536}
              responses:
                '200': {description: The completed task., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/tasks/{id}/fail:
            post:
              operationId: failTask
              tags: [workers]
              summary: End the leased attempt as failed; it is retried by its policy unless retryable is false.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [worker, attempt, message]
                      properties:
                        worker: {$ref: '#/components/schemas/WorkerName'}
                        attempt: {type: integer, minimum: 1, maximum: 1000000}
                        message: {type: string, maxLength: 65536}
                        retryable: {type: boolean, description: Default true; false fails the task now.}
              responses:
                '200': {description: 'The task, scheduled for a retry or failed.', content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/tasks/{id}/unclaim:
            post:
              operationId: unclaimTask
              tags: [workers]
              summary: Hand the task back (pending) without using an attempt.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/TaskID'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [worker, attempt]
                      properties:
                        worker: {$ref: '#/components/schemas/WorkerName'}
                        attempt: {type: integer, minimum: 1, maximum: 1000000}
              responses:
                '200': {description: 'The task, pending again.', content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/finishes:
            post:
              operationId: finishTasks
              tags: [workers]
              summary: Complete or fail up to 1,000 leased attempts in one transaction.
              description: Each finish is applied only if its lease is still held; the answer says which were.
              x-errand-role: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [finishes]
                      properties:
                        finishes:
                          type: array
                          minItems: 1
                          maxItems: 1000
                          items:
                            type: object
                            additionalProperties: false
                            required: [id, worker, attempt, outcome]
                            properties:
                              id: {type: string, format: uuid}
                              worker: {$ref: '#/components/schemas/WorkerName'}
                              attempt: {type: integer, minimum: 1, maximum: 1000000}
                              outcome: {type: string, enum: [succeeded, failed]}
                              result: {description: Any JSON value (succeeded only).}
                              message: {type: [string, 'null'], maxLength: 65536}
                              retryable: {type: boolean}
              responses:
                '200':
                  description: One result per finish, in order.
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
                              required: [id, status]
                              properties:
                                id: {type: string, format: uuid}
                                status: {type: string, enum: [applied, conflict, not_found]}
                                state: {$ref: '#/components/schemas/TaskState'}
                                detail: {type: string, description: Why a finish was not applied.}
                '400': {$ref: '#/components/responses/BadRequest'}
                '413': {$ref: '#/components/responses/TooLarge'}
        """#
}
