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
