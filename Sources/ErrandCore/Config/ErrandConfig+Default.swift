extension ErrandConfig {
    /// A commented configuration file holding every key with its default, printed by `errand config print-default`.
    public static let defaultFileText = """
        # Errand configuration (YAML). Tarantool's task manager layout is accepted as is.
        # Precedence: command-line flags > ERRAND_* environment variables > this file.
        # Check a file with: errand config check FILE

        # Named task definitions. Each launch of one is an ordinary task (its module is the definition's name).
        tasks:
          # A periodical task: the leader enqueues each due slot of its cron schedule once, across all nodes.
          cache_reload:
            kind: periodical              # periodical | continuous | single_shot (required)
            func_name: errand.echo        # the handler that runs each launch (required; also: handler)
            args: ["reload"]              # arguments, any YAML/JSON value (default: [])
            schedule: "0 */5 * * * *"     # cron: 6 fields (seconds first), 5 fields, @daily, @every 1h30m (quote it)
            timezone: UTC                 # zone the schedule is read in (IANA name)
            skip_if_outstanding: false    # skip a slot while an earlier launch is unfinished
            catch_up: latest              # slots missed while no leader ran: latest (run the last once) | all | none
            time_to_resolve: 60           # seconds an attempt may run; past it, it ends lost (default: task_storage.task_ttr)
            # timeout: 30                 # seconds before an attempt is stopped with the outcome timeout (default: none)
            fixed_lease: true             # time_to_resolve bounds each attempt; false lets heartbeats extend it
            queue: default
            priority: 0                   # 0 (most urgent) to 9
            max_attempts: 1               # retry policy of each launch (Tarantool's defaults: no retry)
            delay: 0                      # seconds before the first retry
            delay_factor: 1               # each later retry waits this much longer
            max_delay: 3600               # longest wait between retries, seconds
            jitter: 0                     # spread retries by up to this fraction of their delay
            priority_decrement: 0         # priority added on each retry (0-9 bound)

          # A continuous task: exactly one instance alive; when it ends (any outcome) the next starts after pause_sec.
          metrics_push:
            kind: continuous
            func_name: errand.echo
            pause_sec: 60                 # seconds between the end of one instance and the start of the next

          # Any kind can run a program instead of a handler: command replaces func_name and args (no shell).
          disk_report:
            kind: periodical
            command: [df, -h]             # runs with the built-in errand.command handler; stdout is the result
            schedule: "@hourly"

          # A single-shot task: started by name (errand task start cache_flush --args '["a"]', the library, the API).
          cache_flush:
            kind: single_shot
            func_name: errand.echo
            args: [a, b]

        task_storage:
          task_ttr: 60                    # default time_to_resolve of a definition's launches, seconds
          task_log_max_size: 100          # launches kept in the launch log, per handler
          finished_ttl: 604800            # seconds a finished task (tree) is kept before it is pruned (7 days)
          user_task_ttl: 604800           # the same for a task a user started (CLI, HTTP, dashboard)
          # archive_older_than: 86400     # move finished tasks to the archive after this many seconds (off by default)

        task_runner:
          capacity: 32                    # most tasks running at once on a node
          tags: []                        # tags this node has (e.g. [gpu]): it takes the tasks that require them

        # errand worker -- CMD: a child-process worker (pftaskqueue's worker section). Flags and ERRAND_WORKER_*
        # variables (ERRAND_WORKER_QUEUE, ERRAND_WORKER_CONCURRENCY, ...) override these.
        worker:
          queue: default                  # queue to claim from
          name: my-worker                 # stamped into every attempt (default: the host name)
          concurrency: 1                  # handler processes at once
          command: [cat]                  # the handler command and its arguments (no shell); `-- CMD` overrides it
          handlers: [errand.process]      # handler names claimed; tasks added without a handler have errand.process
          default_timeout: 1800           # seconds an attempt may run when its task names no timeout
          kill_grace: 10                  # seconds between SIGTERM and SIGKILL when an attempt is stopped
          work_dir: /tmp                  # workspaces go to <work_dir>/<worker id>/<task id>-<attempt>
          cleanup_workspace: false        # delete each workspace when its attempt ends
          exit_on_suspend: false          # exit 0 once the queue is suspended (running tasks finish first)
          exit_on_empty: false            # exit 0 once the queue stays empty for the grace period
          exit_on_empty_grace_period: 10  # seconds
          num_tasks: 1000                 # exit 0 after this many tasks (default: no limit)
          heartbeat_interval: 2           # seconds between the worker's heartbeats
          heartbeat_expiration: 10        # seconds without one before the worker counts as lost
          salvage_after: 15               # seconds after that before the leader re-queues its tasks (salvage)
          num_worker_salvage_on_start: -1 # lost workers this worker salvages as it starts (-1 all, 0 none)

        # errand serve's HTTP API (docs/http.md). --http, --auth and ERRAND_HTTP, ERRAND_HTTP_AUTH,
        # ERRAND_HTTP_ADMIN_TOKENS, ERRAND_HTTP_READ_TOKENS (comma-separated) override or add to these.
        http:
          listen: 127.0.0.1:8080          # HOST:PORT, or off
          # auth: token                   # token (default once a token is set) or none (loopback only; default without tokens)
          tokens: []                      # [{token: SECRET, role: admin}, {token: SECRET, role: read}]; 16+ characters each
          max_body_bytes: 16777216        # largest request body accepted
          max_wait: 300                   # longest a long-poll (claim wait, task wait) is held, seconds

        """
}
