"""What the experiments share: output and checks, the errand binary, a throw-away PostgreSQL, the event log."""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.request

FAILURES = []


OUTPUT = threading.local()


def out(line):
    """Prints a line, or keeps it for later when experiments run side by side (each keeps its own)."""
    lines = getattr(OUTPUT, "lines", None)
    if lines is None:
        print(line, flush=True)
    else:
        lines.append(line)


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        out(f"    FAILED: {message}")
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition, timeout, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def summary(values):
    if not values:
        return "none"
    values = sorted(values)
    return f"n={len(values)} p50={statistics.median(values):.2f}s max={values[-1]:.2f}s"


class Errand:
    """The errand binary on one store."""

    def __init__(self, binary, store_args, directory):
        self.binary = binary
        self.store_args = store_args
        self.directory = directory
        self.nodes = {}

    def run(self, args, stdin=None, env=None, store=True):
        full = [self.binary] + args + (self.store_args if store else [])
        environment = dict(os.environ, **(env or {}))
        result = subprocess.run(full, input=stdin, capture_output=True, text=True, env=environment, timeout=120)
        return result.returncode, result.stdout.strip(), result.stderr

    def ok(self, args, stdin=None):
        status, out, err = self.run(args, stdin)
        if status != 0:
            raise RuntimeError(f"errand {' '.join(args)} failed ({status}): {err}")
        return out

    def json(self, args):
        return json.loads(self.ok(args + ["-o", "json"]))

    def start(self, name, command="serve", extra=()):
        log = open(os.path.join(self.directory, f"node-{name}.log"), "a")
        # The whole launch log is kept (the janitor trims it to 100 per handler by default), for the duplicate check.
        args = [self.binary, command, *self.store_args, "--worker", name, "--log-level", "notice",
                "--task-log-max-size", "10000000", *extra]
        if command == "serve":
            args += ["--http", "127.0.0.1:0"]
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.nodes[name] = process
        return process

    def api(self, name, timeout=30):
        path = os.path.join(self.directory, f"node-{name}.log")
        found = None

        def look():
            nonlocal found
            with open(path) as log:
                matches = re.findall(r"HTTP API on (http://[0-9.]+:[0-9]+)", log.read())
            found = matches[-1] if matches else None
            return found is not None

        eventually(look, timeout, 0.05)
        return found

    def kill(self, name):
        process = self.nodes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self):
        for process in self.nodes.values():
            process.terminate()
        for name, process in list(self.nodes.items()):
            try:
                status = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Where it hangs, for the report: every thread's stack, when gdb is at hand.
                if shutil.which("gdb"):
                    stacks = subprocess.run(["gdb", "-p", str(process.pid), "-batch", "-ex", "thread apply all bt"],
                                            capture_output=True, text=True, timeout=60).stdout
                    with open(os.path.join(self.directory, f"node-{name}.stacks"), "w") as file:
                        file.write(stacks)
                process.kill()
                status = "killed after 30 s"
            check(status == 0, f"node {name} exited {status} at shutdown")
        self.nodes = {}

    def logs(self, lines=20):
        out = []
        for file in sorted(os.listdir(self.directory)):
            if file.startswith("node-"):
                with open(os.path.join(self.directory, file)) as log:
                    out.append(f"== {file}\n" + "".join(log.readlines()[-lines:]))
        return "\n".join(out)


class Postgres:
    """A throw-away PostgreSQL server on loopback; its commands run as the postgres user when we are root."""

    @staticmethod
    def binaries():
        """The newest installed server's bin directory."""
        versions = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(p) for p in v.split(".") if p.isdigit()]) \
            if os.path.isdir("/usr/lib/postgresql") else []
        if not versions:
            raise SystemExit("error: PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
        return f"/usr/lib/postgresql/{versions[-1]}/bin"

    def __init__(self, directory):
        self.bin = self.binaries()
        self.directory = os.path.join(directory, "pg")
        os.makedirs(self.directory)
        os.chmod(directory, 0o755)
        os.chmod(self.directory, 0o755)
        if os.getuid() == 0:
            shutil.chown(self.directory, "postgres")
        self.port = free_port()
        self.data = os.path.join(self.directory, "data")
        self.as_postgres([f"{self.bin}/initdb", "-D", self.data, "-U", "errand", "--auth=trust", "-E", "UTF8", "--no-locale"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.directory}'\n"
                       "max_connections = 200\n")
        self.ctl("start")
        self.url = f"postgres://errand@127.0.0.1:{self.port}/postgres"

    def as_postgres(self, command):
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True)

    def ctl(self, action, mode="fast"):
        self.as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, "-l", os.path.join(self.directory, "server.log"), "-w",
                          "-m", mode, action])

    def query(self, sql):
        result = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "errand", "-d", "postgres",
                                 "-At", "-c", sql], capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def stop(self):
        try:
            self.ctl("stop", "immediate")
        except subprocess.CalledProcessError:
            pass


class EventLog:
    """Reads `/v1/events` from a cursor, through whichever node answers, to count completions per task."""

    def __init__(self, urls):
        self.urls = urls

    def completions(self, after, quiet=3.0):
        seen = {}
        cursor = after
        idle_since = time.monotonic()
        events = 0
        while time.monotonic() - idle_since < quiet:
            for url in self.urls():
                try:
                    request = urllib.request.Request(f"{url}/v1/events?after={cursor}")
                    with urllib.request.urlopen(request, timeout=quiet) as stream:
                        event_id = None
                        for raw in stream:
                            line = raw.decode().rstrip("\n")
                            if line.startswith("id: "):
                                event_id = line[4:]
                            elif line.startswith("data: "):
                                change = json.loads(line[6:])
                                events += 1
                                idle_since = time.monotonic()
                                if change["to"] == "completed":
                                    seen[change["task_id"]] = seen.get(change["task_id"], 0) + 1
                                cursor = event_id or cursor
                    break
                except (OSError, ValueError):
                    continue
            else:
                time.sleep(0.2)
        return seen, events

    @staticmethod
    def head(url, errand):
        """The id of the newest event: a marker task's first change."""
        errand.run(["queue", "create", "chaos-marker"])  # or it exists
        marker = errand.ok(["task", "add", "--handler", "errand.echo", "--args", '"chaos marker"', "--queue", "chaos-marker"])
        with urllib.request.urlopen(f"{url}/v1/events?task_id={marker}&after=0", timeout=10) as stream:
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    return line[4:], marker
        raise RuntimeError("no event for the marker task")


def report(name, tasks, completed, attempt_duplicates, event_duplicates, outcomes, extra):
    lost = tasks - completed
    out(f"  {name}: tasks={tasks} completed={completed} lost={lost} duplicate_completions(attempts)={attempt_duplicates} "
        f"duplicate_completions(events)={event_duplicates}")
    out(f"    attempts by outcome: {json.dumps(outcomes, sort_keys=True)}")
    for line in extra:
        out(f"    {line}")
    check(lost == 0, f"{name}: {lost} tasks lost")
    check(attempt_duplicates == 0, f"{name}: {attempt_duplicates} tasks succeeded twice (attempt log)")
    check(event_duplicates == 0, f"{name}: {event_duplicates} tasks completed twice (event log)")


def add_tasks(errand, count, seconds, queue="default", ttr=None):
    """Adds `count` tasks that sleep `seconds`; `ttr` shortens their leases, so that attempts cut off by a kill run
    again sooner (the short form)."""
    task = {"handler": "errand.sleep", "args": seconds, "queue": queue}
    if ttr:
        task["time_to_resolve"] = ttr
    for start in range(0, count, 5000):
        batch = min(5000, count - start)
        spec = "\n".join(json.dumps(task) for _ in range(batch))
        errand.ok(["task", "add", "-f", "-"], stdin=spec)


def pg_counts(pg, queue):
    completed = int(pg.query(f"SELECT count(*) FROM errand.task WHERE queue = '{queue}' AND state = 'completed'"))
    total = int(pg.query(f"SELECT count(*) FROM errand.task WHERE queue = '{queue}'"))
    return completed, total


def pg_attempt_figures(pg, queue):
    duplicates = int(pg.query(
        "SELECT count(*) FROM (SELECT a.task_id FROM errand.attempt a JOIN errand.task t ON t.id = a.task_id "
        f"WHERE t.queue = '{queue}' AND a.outcome = 'succeeded' GROUP BY a.task_id HAVING count(*) > 1) d"))
    rows = pg.query("SELECT a.outcome, count(*) FROM errand.attempt a JOIN errand.task t ON t.id = a.task_id "
                    f"WHERE t.queue = '{queue}' GROUP BY 1 ORDER BY 1")
    outcomes = {line.split("|")[0]: int(line.split("|")[1]) for line in rows.splitlines() if line}
    return duplicates, outcomes


def leader_of(errand):
    status, out, _ = errand.run(["leader"])
    return out if status == 0 and out != "none" else None


def started_at(text):
    """Seconds since the epoch of an RFC 3339 time such as 2026-12-02T19:24:01.123Z."""
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def probe(url, method="GET", body=None, token=None):
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None
