extension APIDocument {
    /// `components`: the bodies the API takes and gives, and its security scheme.
    static let componentsYAML = #"""
        components:
          securitySchemes:
            bearer:
              type: http
              scheme: bearer
              description: >-
                A token from the server's configuration (`http.tokens`, `ERRAND_HTTP_ADMIN_TOKENS`,
                `ERRAND_HTTP_READ_TOKENS`). Each operation's `x-errand-role` says which role it needs: `read` tokens
                may read, `admin` tokens may do everything.
          responses:
            BadRequest:
              description: The request breaks the document (unknown field, wrong type, out of range) or a rule.
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
            Unauthorized:
              description: No bearer token, or one the server does not know.
              headers:
                WWW-Authenticate: {schema: {type: string}}
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
            Forbidden:
              description: The token's role may not do this (a read token on a write route).
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
            NotFound:
              description: No such task, queue, definition or dead letter.
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
            Conflict:
              description: The request does not fit the resource's state (a lease not held, a task already finished).
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
            TooLarge:
              description: The request body is larger than the server accepts.
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
            Unavailable:
              description: The store cannot be reached.
              content:
                application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}
          parameters:
            TaskID:
              name: id
              in: path
              required: true
              schema: {type: string, format: uuid}
            QueueName:
              name: name
              in: path
              required: true
              schema: {$ref: '#/components/schemas/QueueName'}
          schemas:
            Problem:
              description: An error as RFC 9457 problem details.
              type: object
              required: [type, title, status, detail]
              properties:
                type: {type: string, description: 'A URI naming the kind of problem, e.g. https://errand.dev/problems/not-found'}
                title: {type: string}
                status: {type: integer}
                detail: {type: string, description: 'What went wrong, precisely.'}
            QueueName: {type: string, pattern: '^[A-Za-z0-9._-]{1,128}$'}
            HandlerName: {type: string, pattern: '^[A-Za-z0-9._:-]{1,128}$'}
            WorkerName: {type: string, minLength: 1, maxLength: 200}
            EventID: {type: string, pattern: '^[0-9]{1,18}(:[0-9]{1,18}){0,2}$', description: An event's id (its cursor in the log).}
            Transition:
              description: The data of one event of /v1/events.
              type: object
              additionalProperties: false
              required: [task_id, queue, handler, from, to, attempt, at]
              properties:
                task_id: {type: string, format: uuid}
                queue: {type: string}
                handler: {type: string}
                from: {anyOf: [{$ref: '#/components/schemas/TaskState'}, {type: 'null'}], description: null for a new task.}
                to: {$ref: '#/components/schemas/TaskState'}
                attempt: {type: integer}
                at: {type: string, format: date-time}
            TaskState:
              type: string
              enum: [scheduled, pending, running, completed, failed, cancelled, dead]
            AttemptOutcome:
              type: string
              enum: [succeeded, failed, timeout, lost, signaled, cancelled, internal_error]
            RetryPolicy:
              description: >-
                How often and how soon a failed task runs again: the wait after the n-th failed attempt is
                delay × delay_factor^(n-1), capped at max_delay (below delay, it caps the first wait too).
              type: object
              additionalProperties: false
              properties:
                max_attempts: {type: integer, minimum: -1, maximum: 10000, not: {const: 0}, description: 'Total attempts; -1 retries until it succeeds.'}
                delay: {type: number, minimum: 0, maximum: 3600}
                delay_factor: {type: number, minimum: 1, maximum: 100}
                max_delay: {type: number, minimum: 0, maximum: 31536000}
                jitter: {type: number, minimum: 0, maximum: 1}
                priority_decrement: {type: integer, minimum: 0, maximum: 9}
            NewTask:
              type: object
              additionalProperties: false
              required: [handler]
              properties:
                handler: {$ref: '#/components/schemas/HandlerName'}
                arguments: {description: 'Any JSON value (default {}); at most 1 MiB as text.'}
                queue: {$ref: '#/components/schemas/QueueName'}
                priority: {type: integer, minimum: 0, maximum: 9, description: 0 is claimed first.}
                run_at: {type: [string, 'null'], format: date-time, description: Earliest start (default now).}
                retry: {$ref: '#/components/schemas/RetryPolicy'}
                time_to_resolve: {type: number, exclusiveMinimum: 0, maximum: 31536000, description: Lease length in seconds.}
                idempotency_key: {type: [string, 'null'], minLength: 1, maxLength: 255}
                parent_id: {type: [string, 'null'], format: uuid, description: An existing task this one is a child of.}
                module: {type: [string, 'null'], minLength: 1, maxLength: 128}
                tags: {type: array, maxItems: 32, items: {type: string, minLength: 1, maxLength: 128}}
                name: {type: [string, 'null'], maxLength: 1024, description: A display name.}
                timeout: {type: [number, 'null'], exclusiveMinimum: 0, maximum: 31536000, description: Seconds an attempt may run.}
                internal: {type: boolean, description: 'A sub-task of a bigger operation: module listings leave it out, a finished tree folds it.'}
                type: {type: [string, 'null'], maxLength: 256, description: 'The operation, e.g. repair (ScyllaDB''s type).'}
                scope: {type: [string, 'null'], maxLength: 256, description: 'The part it covers, e.g. keyspace.'}
                entity: {type: [string, 'null'], maxLength: 256}
                keyspace: {type: [string, 'null'], maxLength: 256}
                table: {type: [string, 'null'], maxLength: 256}
                progress_units: {type: [string, 'null'], maxLength: 256, description: What its progress counts.}
                locality: {$ref: '#/components/schemas/TaskLocality'}
                abortable: {type: boolean, description: Whether an abort may stop it (default true).}
                user_task: {type: boolean, description: 'Kept for the user TTL once finished (default true over HTTP).'}
                target_worker: {type: [string, 'null'], maxLength: 200, description: 'Only this worker (lease name) may claim it; empty for a global task''s own row.'}
            TaskLocality:
              type: string
              enum: [local, global]
              description: 'local: one node runs it; global: work spread over every live node (ScyllaDB''s kind).'
            Task:
              type: object
              additionalProperties: false
              required: [id, queue, handler, state, priority, attempt, charged_attempts, retry, time_to_resolve, arguments,
                run_at, created_at, internal, tags, locality, abortable, user_task, has_children, folded]
              properties:
                id: {type: string, format: uuid}
                queue: {type: string}
                handler: {type: string}
                name: {type: [string, 'null']}
                state: {$ref: '#/components/schemas/TaskState'}
                priority: {type: integer}
                attempt: {type: integer, description: The current or latest attempt; 0 before the first claim.}
                charged_attempts: {type: integer}
                retry: {$ref: '#/components/schemas/RetryPolicy'}
                time_to_resolve: {type: number}
                timeout: {type: [number, 'null']}
                arguments: {description: The arguments as given.}
                result: {description: 'The result of the successful attempt, or null.'}
                message: {type: [string, 'null']}
                last_error: {type: [string, 'null']}
                run_at: {type: string, format: date-time}
                created_at: {type: string, format: date-time}
                started_at: {type: [string, 'null'], format: date-time}
                finished_at: {type: [string, 'null'], format: date-time}
                worker: {type: [string, 'null'], description: The lease holder while the task runs.}
                lease_expires_at: {type: [string, 'null'], format: date-time}
                idempotency_key: {type: [string, 'null']}
                parent_id: {type: [string, 'null'], format: uuid}
                root_id: {type: [string, 'null'], format: uuid}
                module: {type: [string, 'null']}
                internal: {type: boolean}
                tags: {type: array, items: {type: string}}
                progress:
                  description: The progress its worker last reported with a heartbeat, or null.
                  anyOf:
                    - {type: 'null'}
                    - type: object
                      additionalProperties: false
                      required: [completed, total]
                      properties:
                        completed: {type: number}
                        total: {type: [number, 'null']}
                progress_units: {type: [string, 'null']}
                type: {type: [string, 'null']}
                scope: {type: [string, 'null']}
                entity: {type: [string, 'null']}
                keyspace: {type: [string, 'null']}
                table: {type: [string, 'null']}
                locality: {$ref: '#/components/schemas/TaskLocality'}
                abortable: {type: boolean}
                sequence_number: {type: [integer, 'null'], description: 'The operation''s number in its module; a child has its root''s.'}
                user_task: {type: boolean}
                target_worker: {type: [string, 'null']}
                has_children: {type: boolean}
                folded: {type: boolean, description: 'Succeeded inside a finished tree: arguments and attempts were dropped.'}
            Attempt:
              type: object
              additionalProperties: false
              required: [task_id, number, handler, worker, started_at, finished_at, outcome]
              properties:
                task_id: {type: string, format: uuid}
                number: {type: integer}
                handler: {type: string}
                worker: {type: string}
                started_at: {type: string, format: date-time}
                finished_at: {type: string, format: date-time}
                outcome: {$ref: '#/components/schemas/AttemptOutcome'}
                message: {type: [string, 'null']}
                result: {description: 'The result of a successful attempt, or null.'}
                salvaged_by: {type: [string, 'null']}
                salvaged_at: {type: [string, 'null'], format: date-time}
            Counts:
              description: Tasks in each state.
              type: object
              additionalProperties: false
              required: [scheduled, pending, running, completed, failed, cancelled, dead]
              properties:
                scheduled: {type: integer}
                pending: {type: integer}
                running: {type: integer}
                completed: {type: integer}
                failed: {type: integer}
                cancelled: {type: integer}
                dead: {type: integer}
            Queue:
              type: object
              additionalProperties: false
              required: [name, state, created_at, updated_at, counts, total]
              properties:
                name: {type: string}
                state: {type: string, enum: [active, suspended]}
                created_at: {type: string, format: date-time}
                updated_at: {type: string, format: date-time}
                counts: {$ref: '#/components/schemas/Counts'}
                total: {type: integer}
            Worker:
              type: object
              additionalProperties: false
              required: [id, name, lease_name, state, queues, started_at, last_heartbeat_at, expires_at]
              properties:
                id: {type: string}
                name: {type: string}
                lease_name: {type: string, description: The worker name its leases carry.}
                state: {type: string, enum: [running, succeeded, failed, lost, salvaged]}
                queues: {type: array, items: {type: string}}
                started_at: {type: string, format: date-time}
                last_heartbeat_at: {type: string, format: date-time}
                expires_at: {type: string, format: date-time, description: When it counts as lost without a heartbeat.}
                finished_at: {type: [string, 'null'], format: date-time}
                salvaged_by: {type: [string, 'null']}
                salvaged_at: {type: [string, 'null'], format: date-time}
                spec: {description: 'What the worker runs (its command, concurrency, timeouts).'}
            Definition:
              type: object
              additionalProperties: false
              required: [name, kind, handler, queue, arguments, enabled]
              properties:
                name: {type: string}
                enabled: {type: boolean, description: 'false: the scheduler launches no slot or instance of it (start still works).'}
                kind: {type: string, enum: [periodical, continuous, single_shot]}
                handler: {type: string}
                queue: {type: string}
                schedule: {type: [string, 'null'], description: The cron expression of a periodical definition.}
                arguments: {description: The arguments each launch gets unless a start gives others.}
            DeadLetter:
              type: object
              additionalProperties: false
              required: [id, body, error, created_at]
              properties:
                id: {type: string}
                queue: {type: [string, 'null']}
                body: {type: string, description: 'The record''s columns as a JSON object, as stored.'}
                error: {type: string}
                created_at: {type: string, format: date-time}
        """#
}
