#!/usr/bin/env python3
"""A remote Errand worker in Python, standard library only: a loop around the HTTP API.

It claims tasks of the handlers it knows (long-polling), heartbeats each one while it runs, and completes it with
the handler's result, or fails it (a ValueError is not retried). Only the lease holder can finish a task, so every
call carries the worker name and the attempt the claim answered.

    ERRAND_URL=http://127.0.0.1:8080 ERRAND_TOKEN=... examples/remote-worker.py --queue default

Options: --handler NAME (repeatable; default all of HANDLERS), --max-tasks N (exit after N tasks), --idle-exit S
(exit after S seconds with nothing to do), --name NAME (default python@HOST:PID).
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request


class Conflict(Exception):
    """409: the lease is no longer ours (expired, or the task was cancelled)."""


class Errand:
    def __init__(self, url, token=None):
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, timeout=90):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            problem = json.loads(error.read() or b"{}")
            if error.code == 409:
                raise Conflict(problem.get("detail", "conflict")) from None
            raise RuntimeError(f"{method} {path}: {error.code} {problem.get('detail', '')}") from None

    def claim(self, worker, queues, handlers, max_tasks=1, wait=10):
        body = {"worker": worker, "queues": queues, "handlers": handlers, "max": max_tasks, "wait": wait}
        return self.call("POST", "/v1/claims", body)["tasks"]

    def lease(self, task, **extra):
        return dict({"worker": task["worker"], "attempt": task["attempt"]}, **extra)

    def heartbeat(self, task):
        return self.call("POST", f"/v1/tasks/{task['id']}/heartbeat", self.lease(task))

    def complete(self, task, result, message=None):
        return self.call("POST", f"/v1/tasks/{task['id']}/complete", self.lease(task, result=result, message=message))

    def fail(self, task, message, retryable=True):
        body = self.lease(task, message=message, retryable=retryable)
        return self.call("POST", f"/v1/tasks/{task['id']}/fail", body)


# Handlers: a name, a function of the task's arguments. Raise ValueError for input that will never work.
def word_count(arguments):
    text = arguments.get("text") if isinstance(arguments, dict) else None
    if not isinstance(text, str):
        raise ValueError("arguments.text must be a string")
    time.sleep(float(arguments.get("sleep", 0)))
    return {"words": len(text.split())}


def fail_always(arguments):
    raise RuntimeError("py.fail always fails")


HANDLERS = {"py.word_count": word_count, "py.fail": fail_always}


class Heartbeat(threading.Thread):
    """Heartbeats a task every third of its lease while it runs; notes when the lease is lost."""

    def __init__(self, client, task):
        super().__init__(daemon=True)
        self.client, self.task = client, task
        self.stopped = threading.Event()
        self.lost = None

    def run(self):
        interval = max(0.2, float(self.task["time_to_resolve"]) / 3)
        while True:
            try:
                self.client.heartbeat(self.task)
                log(f"heartbeat {self.task['id']} attempt {self.task['attempt']}")
            except Conflict as conflict:
                self.lost = str(conflict)
                return
            except Exception as error:  # the server is unreachable for a moment: try again at the next beat
                log(f"heartbeat failed: {error}")
            if self.stopped.wait(interval):
                return


def log(message):
    print(f"remote-worker: {message}", file=sys.stderr, flush=True)


def work(client, task):
    heartbeat = Heartbeat(client, task)
    heartbeat.start()
    try:
        result = HANDLERS[task["handler"]](task["arguments"])
    except ValueError as error:
        outcome = ("fail", str(error), False)
    except Exception as error:
        outcome = ("fail", f"{type(error).__name__}: {error}", True)
    else:
        outcome = ("complete", result, None)
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
    if heartbeat.lost:
        log(f"lost the lease of {task['id']}: {heartbeat.lost}")
        return
    try:
        if outcome[0] == "complete":
            done = client.complete(task, outcome[1])
        else:
            done = client.fail(task, outcome[1], retryable=outcome[2])
        log(f"{task['id']} {done['state']}")
    except Conflict as conflict:
        log(f"finish of {task['id']} refused: {conflict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("ERRAND_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("ERRAND_TOKEN"))
    parser.add_argument("--queue", action="append", default=[])
    parser.add_argument("--handler", action="append", default=[])
    parser.add_argument("--name", default=f"python@{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--max-tasks", type=int, default=0)
    parser.add_argument("--idle-exit", type=float, default=0)
    args = parser.parse_args()
    client = Errand(args.url, args.token)
    handlers = args.handler or sorted(HANDLERS)
    done = 0
    idle_since = time.monotonic()
    while not args.max_tasks or done < args.max_tasks:
        tasks = client.claim(args.name, args.queue, handlers, max_tasks=1, wait=5)
        if not tasks:
            if args.idle_exit and time.monotonic() - idle_since > args.idle_exit:
                log("idle; exiting")
                return 0
            continue
        for task in tasks:
            work(client, task)
            done += 1
        idle_since = time.monotonic()
    log(f"{done} tasks; exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
