extension APIDocument {
    /// The document's head and the paths outside `/v1`: health, the document itself, metrics and events.
    static let systemYAML = #"""
        openapi: 3.1.0
        info:
          title: Errand
          version: '1'
          description: >-
            The HTTP API of an Errand server (`errand serve --http HOST:PORT`): enqueue and manage tasks and queues,
            run tasks from remote workers in any language (claim, heartbeat, complete, fail, unclaim), follow state
            changes as server-sent events, and scrape Prometheus metrics. Errors are RFC 9457 problem details.
        tags:
          - {name: tasks}
          - {name: queues}
          - {name: definitions}
          - {name: workers}
          - {name: system}
        security:
          - bearer: []
        paths:
          /healthz:
            get:
              operationId: getHealth
              tags: [system]
              summary: Liveness; answers while the process serves HTTP.
              security: []
              x-errand-role: public
              responses:
                '200':
                  description: Alive.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [status]
                        properties:
                          status: {type: string, enum: [ok]}
          /readyz:
            get:
              operationId: getReadiness
              tags: [system]
              summary: Readiness; 200 when the store answers, 503 when it does not.
              security: []
              x-errand-role: public
              responses:
                '200':
                  description: Ready.
                  content:
                    application/json:
                      schema:
                        type: object
                        additionalProperties: false
                        required: [status]
                        properties:
                          status: {type: string, enum: [ready]}
                '503': {$ref: '#/components/responses/Unavailable'}
          /v1/events:
            get:
              operationId: streamEvents
              tags: [system]
              summary: Server-sent events of every task state change, as they are recorded.
              description: >-
                Each event is `id: CURSOR`, `event: transition` and `data:` a JSON object (task_id, queue, handler,
                from, to, attempt, at; from is null for a new task). Without Last-Event-ID or after, the stream starts
                with changes from now on; with one, it resumes after that event (the last 100,000 changes are kept by
                default). A stream ends after the server's longest wait (http.max_wait, 300 s by default); EventSource
                clients reconnect with Last-Event-ID and miss nothing.
              x-errand-role: read
              parameters:
                - {name: queue, in: query, schema: {$ref: '#/components/schemas/QueueName'}}
                - {name: handler, in: query, schema: {$ref: '#/components/schemas/HandlerName'}}
                - {name: task_id, in: query, schema: {type: string, format: uuid}}
                - {name: after, in: query, description: Resume after this event id., schema: {$ref: '#/components/schemas/EventID'}}
                - {name: Last-Event-ID, in: header, description: Resume after this event id (as EventSource sends it)., schema: {$ref: '#/components/schemas/EventID'}}
              responses:
                '200':
                  description: The stream; the schema describes one event.
                  content:
                    text/event-stream:
                      schema:
                        type: object
                        required: [data]
                        properties:
                          id: {$ref: '#/components/schemas/EventID'}
                          event: {type: string, enum: [transition]}
                          data: {type: string, contentMediaType: application/json, contentSchema: {$ref: '#/components/schemas/Transition'}}
                          retry: {type: integer}
                '400': {$ref: '#/components/responses/BadRequest'}
          /metrics:
            get:
              operationId: getMetrics
              tags: [system]
              summary: Prometheus metrics of this process and gauges of the store.
              description: >-
                Counters and timers of what this process did (errand_tasks_enqueued_total, errand_tasks_claimed_total,
                errand_tasks_finished_total by outcome, errand_lease_expiries_total, errand_attempt_duration_seconds,
                errand_start_latency_seconds), and gauges read from the store at each scrape (errand_queue_tasks by
                queue and state, errand_queue_suspended, errand_workers by state, errand_leader).
              x-errand-role: read
              responses:
                '200':
                  description: The Prometheus text exposition format.
                  content:
                    text/plain:
                      schema: {type: string}
          /openapi.json:
            get:
              operationId: getOpenAPIDocument
              tags: [system]
              summary: This document.
              security: []
              x-errand-role: public
              responses:
                '200':
                  description: The OpenAPI document.
                  content:
                    application/json:
                      schema: {type: object}
        """#
}
