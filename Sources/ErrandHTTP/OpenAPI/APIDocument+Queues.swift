extension APIDocument {
    /// Paths for queues, definitions, workers, statistics and dead letters.
    static let queuesYAML = #"""
        paths:
          /v1/queues:
            get:
              operationId: listQueues
              tags: [queues]
              summary: All queues with their task counts.
              x-errand-role: read
              responses:
                '200':
                  description: The queues, by name.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [queues]
                        properties:
                          queues: {type: array, items: {$ref: '#/components/schemas/Queue'}}
            post:
              operationId: createQueue
              tags: [queues]
              summary: Create an active queue.
              x-errand-role: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [name]
                      properties:
                        name: {$ref: '#/components/schemas/QueueName'}
              responses:
                '201':
                  description: Created.
                  content: {application/json: {schema: {$ref: '#/components/schemas/Queue'}}}
                  links:
                    GetQueue: {operationId: getQueue, parameters: {name: '$response.body#/name'}}
                    SuspendQueue: {operationId: suspendQueue, parameters: {name: '$response.body#/name'}}
                    ResumeQueue: {operationId: resumeQueue, parameters: {name: '$response.body#/name'}}
                    DeleteQueue: {operationId: deleteQueue, parameters: {name: '$response.body#/name'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/queues/{name}:
            get:
              operationId: getQueue
              tags: [queues]
              summary: One queue with its task counts.
              x-errand-role: read
              parameters: [{$ref: '#/components/parameters/QueueName'}]
              responses:
                '200': {description: The queue., content: {application/json: {schema: {$ref: '#/components/schemas/Queue'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
            delete:
              operationId: deleteQueue
              tags: [queues]
              summary: Delete a queue with all of its tasks.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/QueueName'}]
              responses:
                '200':
                  description: Deleted.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [name, deleted_tasks]
                        properties:
                          name: {type: string}
                          deleted_tasks: {type: integer}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/queues/{name}/suspend:
            post:
              operationId: suspendQueue
              tags: [queues]
              summary: Stop claims and enqueues on a queue.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/QueueName'}]
              responses:
                '200': {description: The queue., content: {application/json: {schema: {$ref: '#/components/schemas/Queue'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/queues/{name}/resume:
            post:
              operationId: resumeQueue
              tags: [queues]
              summary: Let a suspended queue run again.
              x-errand-role: admin
              parameters: [{$ref: '#/components/parameters/QueueName'}]
              responses:
                '200': {description: The queue., content: {application/json: {schema: {$ref: '#/components/schemas/Queue'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/definitions:
            get:
              operationId: listDefinitions
              tags: [definitions]
              summary: The task definitions of the server's configuration file.
              x-errand-role: read
              responses:
                '200':
                  description: The definitions, by name.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [definitions]
                        properties:
                          definitions: {type: array, items: {$ref: '#/components/schemas/Definition'}}
          /v1/definitions/{name}/start:
            post:
              operationId: startDefinition
              tags: [definitions]
              summary: Launch a definition now (a single-shot one, usually), with its arguments or others.
              x-errand-role: admin
              parameters:
                - {name: name, in: path, required: true, schema: {type: string, minLength: 1, maxLength: 128}}
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        arguments: {description: Any JSON value; replaces the definition's arguments.}
              responses:
                '201': {description: The launch., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /v1/definitions/{name}/enable:
            post:
              operationId: enableDefinition
              tags: [definitions]
              summary: Let the scheduler launch a definition again (a periodical one catches up by its catch_up policy).
              x-errand-role: admin
              parameters:
                - {name: name, in: path, required: true, schema: {type: string, minLength: 1, maxLength: 128}}
              responses:
                '200': {description: The definition., content: {application/json: {schema: {$ref: '#/components/schemas/Definition'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/definitions/{name}/disable:
            post:
              operationId: disableDefinition
              tags: [definitions]
              summary: Stop the scheduler launching a definition, on every node, until it is enabled again.
              x-errand-role: admin
              parameters:
                - {name: name, in: path, required: true, schema: {type: string, minLength: 1, maxLength: 128}}
              responses:
                '200': {description: The definition., content: {application/json: {schema: {$ref: '#/components/schemas/Definition'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
          /v1/workers:
            get:
              operationId: listWorkers
              tags: [workers]
              summary: Registered workers (errand worker processes), newest first.
              x-errand-role: read
              parameters:
                - name: state
                  in: query
                  style: form
                  explode: true
                  schema: {type: array, maxItems: 5, items: {type: string, enum: [running, succeeded, failed, lost, salvaged]}}
              responses:
                '200':
                  description: The workers.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [workers]
                        properties:
                          workers: {type: array, items: {$ref: '#/components/schemas/Worker'}}
                '400': {$ref: '#/components/responses/BadRequest'}
          /v1/statistics:
            get:
              operationId: getStatistics
              tags: [system]
              summary: Task counts by queue and state, and the node that leads.
              x-errand-role: read
              responses:
                '200':
                  description: Statistics.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [queues, totals, leader]
                        properties:
                          queues:
                            type: array
                            items:
                              type: object
                              additionalProperties: false
                              required: [queue, counts, total]
                              properties:
                                queue: {type: string}
                                counts: {$ref: '#/components/schemas/Counts'}
                                total: {type: integer}
                          totals: {$ref: '#/components/schemas/Counts'}
                          leader: {type: [string, 'null']}
          /v1/dead-letters:
            get:
              operationId: listDeadLetters
              tags: [tasks]
              summary: Records that could not be read, newest first.
              x-errand-role: read
              parameters:
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
              responses:
                '200':
                  description: The dead letters.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [dead_letters]
                        properties:
                          dead_letters: {type: array, items: {$ref: '#/components/schemas/DeadLetter'}}
                '400': {$ref: '#/components/responses/BadRequest'}
          /v1/dead-letters/{id}/redrive:
            post:
              operationId: redriveDeadLetter
              tags: [tasks]
              summary: Put a dead letter back as a task, with its stored body or a fixed one.
              x-errand-role: admin
              parameters:
                - {name: id, in: path, required: true, schema: {type: string, minLength: 1, maxLength: 200}}
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        body: {type: [string, 'null'], maxLength: 2097152, description: The task's columns as a JSON object.}
              responses:
                '200': {description: The task., content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
        """#
}
