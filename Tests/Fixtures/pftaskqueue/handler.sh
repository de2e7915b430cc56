#!/bin/sh
# A task handler written against pftaskqueue's documented protocol (README, "Task handler specification"), used
# unchanged by Errand's tests: the workspace path arrives on stdin, inputs are files under input/ and PFTQ_*
# variables, results go to output/payload, output/message and output/postHooks.json, exit status 0 is success.
set -eu
read -r workspace || true
[ "$workspace" = "$PFTQ_TASK_HANDLER_WORKSPACE_DIR" ] || { echo "stdin and PFTQ_TASK_HANDLER_WORKSPACE_DIR differ" >&2; exit 3; }
payload=$(cat "$workspace/input/payload")
[ "$payload" = "$PFTQ_TASK_HANDLER_INPUT_PAYLOAD" ] || { echo "payload file and variable differ" >&2; exit 3; }
[ "$(cat "$workspace/input/meta/taskUID")" = "$PFTQ_TASK_HANDLER_INPUT_TASK_UID" ] || exit 3
[ "$(cat "$workspace/input/meta/workerName")" = "$PFTQ_TASK_HANDLER_INPUT_WORKER_NAME" ] || exit 3
[ -n "$PFTQ_TASK_HANDLER_INPUT_PROCESS_UID" ] && [ -n "$PFTQ_TASK_HANDLER_INPUT_WORKER_UID" ] || exit 3
[ "$(cat "$workspace/input/retryLimit")" = "$PFTQ_TASK_HANDLER_INPUT_RETRY_LIMIT" ] || exit 3
[ "$(cat "$workspace/input/timeoutSeconds")" = "$PFTQ_TASK_HANDLER_INPUT_TIMEOUT_SECONDS" ] || exit 3
grep -q '"spec"' "$workspace/input/meta/task.json" || exit 3
grep -q '"command"' "$workspace/input/meta/workerConfig.json" || exit 3
[ -d "$workspace/output" ] || exit 3
# Every run is logged, so a test can count runs per task.
[ -n "${HANDLER_LOG:-}" ] && echo "$PFTQ_TASK_HANDLER_INPUT_TASK_UID $payload" >>"$HANDLER_LOG"

case "$payload" in
*-child) ;;
fail*)
    echo "asked to fail" >"$workspace/output/message"
    exit 1
    ;;
chain*)
    printf '[{"name": "child of %s", "payload": "%s-child", "retryLimit": 1, "timeoutSeconds": 30}]' \
        "$PFTQ_TASK_HANDLER_INPUT_TASK_UID" "$payload" >"$workspace/output/postHooks.json"
    ;;
badhooks*)
    echo '[{"payload": ' >"$workspace/output/postHooks.json"
    ;;
block*)
    # Puts a file where the next attempt's workspace of the task named in the payload would go.
    victim=${payload#block }
    touch "$(dirname "$workspace")/$victim-1"
    ;;
esac
printf '%s' "$payload" | tr 'a-z' 'A-Z' >"$workspace/output/payload"
echo "handled $PFTQ_TASK_HANDLER_INPUT_TASK_UID" >"$workspace/output/message"
