"""Experiments on the embedded store: kill -9 of serve on SQLite, and the bad-input catalogue."""

import json
import os
import random
import sqlite3
import subprocess
import tempfile
import time

from chaoslib.common import (
    out, check, eventually, summary, Errand, EventLog, report, add_tasks, free_port, probe,
)


def sqlite_kill(base, args):
    cycles, tasks = (30, 10_000) if args.long else (2, 400)
    out(f"== sqlite-kill: serve on SQLite, {tasks} tasks, {cycles} kill -9 cycles")
    directory = tempfile.mkdtemp(prefix="chaos-sqlite-", dir=base)
    database = os.path.join(directory, "errand.db")
    errand = Errand(args.errand, ["--db", database], directory)
    # Long enough that every kill lands while work is running (16 slots).
    errand.start("serve", extra=["--capacity", "16"])
    cursor, marker = EventLog.head(errand.api("serve"), errand)
    errand.kill("serve")
    add_tasks(errand, tasks, 0.1 if args.long else 0.2, ttr=None if args.long else 3)
    recoveries = []

    def completed():
        with sqlite3.connect(database, timeout=10) as db:
            return db.execute("SELECT count(*) FROM errand_task WHERE state = 'completed'").fetchone()[0]

    for cycle in range(cycles):
        errand.start("serve", extra=["--capacity", "16"])
        time.sleep(random.uniform(0.5, 1.5))
        errand.kill("serve")
        before = completed()
        started = time.monotonic()
        errand.start("serve", extra=["--capacity", "16"])
        eventually(lambda: completed() > before or before == tasks + 1, 60, 0.05)
        recoveries.append(time.monotonic() - started)
        errand.kill("serve")
    errand.start("serve", extra=["--capacity", "16"])
    errand.api("serve")
    # The attempts the last kill cut off run again once their leases expire (30 s by default).
    check(eventually(lambda: completed() == tasks + 1, 600 if args.long else 120, 0.2), "sqlite-kill: the drain did not finish")
    seen, events = EventLog(lambda: [errand.api("serve", 1)]).completions(cursor)
    seen.pop(marker, None)
    event_duplicates = sum(1 for count in seen.values() if count > 1)
    check(sum(seen.values()) >= tasks, f"sqlite-kill: the event log shows {sum(seen.values())} completions of {tasks}")
    errand.stop_all()
    with sqlite3.connect(database) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        done = db.execute("SELECT count(*) FROM errand_task WHERE state = 'completed' AND id <> ?", (marker,)).fetchone()[0]
        duplicates = db.execute("SELECT count(*) FROM (SELECT task_id FROM errand_attempt WHERE outcome = 'succeeded' "
                                "GROUP BY task_id HAVING count(*) > 1)").fetchone()[0]
        outcomes = dict(db.execute("SELECT outcome, count(*) FROM errand_attempt GROUP BY 1").fetchall())
    check(integrity == "ok", f"sqlite-kill: integrity_check says {integrity}")
    report("sqlite-kill", tasks, done, duplicates, event_duplicates, outcomes, [
        f"PRAGMA integrity_check: {integrity}",
        f"events read: {events}; completions in the event log: {sum(seen.values())} of {tasks}",
        f"first completion after a restart: {summary(recoveries)} (the killed node's running attempts wait for their leases)",
    ])


def bad_input(base, args):
    out("== bad-input: each class answered precisely, 20 other tasks untouched")
    directory = tempfile.mkdtemp(prefix="chaos-bad-", dir=base)
    database = os.path.join(directory, "errand.db")
    errand = Errand(args.errand, ["--db", database], directory)
    # The bystanders wait in a suspended queue, so that nothing changes them but a fault.
    errand.ok(["queue", "create", "keep"])
    spec = "\n".join(json.dumps({"handler": "errand.echo", "args": n, "queue": "keep"}) for n in range(20))
    errand.ok(["task", "add", "-f", "-"], stdin=spec)
    errand.ok(["queue", "suspend", "keep"])
    before = errand.ok(["task", "list", "--queue", "keep", "-o", "json"])
    config = os.path.join(directory, "bad.yaml")
    with open(config, "w") as file:
        file.write("tasks:\n  nightly:\n    kind: periodical\n    handler: errand.echo\n    schedule: \"61 * * * * *\"\n")
    cli_cases = [
        ("JSON Lines with a garbage line", ["task", "add", "-f", "-"], '{"handler":"errand.echo"}\ngarbage\n', 2, "spec line 2"),
        ("text after a JSON document", ["task", "add", "-f", "-"], '{\n"handler":"errand.echo"\n}\nx\n', 2, "unexpected text after the document"),
        ("deeply nested spec", ["task", "add", "-f", "-"], "[" * 5000 + "]" * 5000, 2, "nests 5000 levels deep"),
        ("invalid cron", ["config", "check", config], None, 2, "tasks.nightly.schedule: field 1 \"61\": second must be 0-59"),
        ("unknown handler", ["task", "add", "--handler", "no.such"], None, 2, 'unknown handler "no.such"'),
        ("malformed JSON arguments", ["task", "add", "--handler", "errand.echo", "--args", "{x"], None, 2, "arguments: is not valid JSON"),
        ("unknown queue", ["task", "add", "--handler", "errand.echo", "--queue", "ghost"], None, 2, 'queue "ghost" does not exist'),
    ]
    for name, command, stdin, status, message in cli_cases:
        code, _, err = errand.run(command, stdin=stdin)
        check(code == status and message in err, f"bad-input {name}: exit {code}, {err.strip()[:200]}")
        out(f"  {name}: exit {code}: {err.strip().splitlines()[-1][:120] if err.strip() else ''}")
    # Over HTTP: a server with tokens.
    admin = "chaos-admin-token-0123456789"
    port = free_port()
    env = dict(os.environ, ERRAND_HTTP_ADMIN_TOKENS=admin)
    log = open(os.path.join(directory, "node-serve.log"), "a")
    server = subprocess.Popen([args.errand, "serve", "--db", database, "--http", f"127.0.0.1:{port}", "--queue", "other"],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        eventually(lambda: probe(f"{url}/healthz") == 200, 30, 0.05)
        http_cases = [
            ("wrong token", "GET", "/v1/tasks", None, "wrong-token-0123456789", 401),
            ("no token", "GET", "/v1/tasks", None, None, 401),
            ("oversized arguments (11 MiB; the limit is 1 MiB)", "POST", "/v1/tasks",
             b'{"handler":"errand.echo","arguments":"' + b"x" * (11 << 20) + b'"}', admin, 400),
            ("oversized body (17 MiB; the limit is 16 MiB)", "POST", "/v1/tasks",
             b'{"handler":"errand.echo","arguments":"' + b"x" * (17 << 20) + b'"}', admin, 413),
            ("malformed body", "POST", "/v1/tasks", b'{"handler":', admin, 400),
            ("unknown field", "POST", "/v1/tasks", b'{"handler":"errand.echo","prio":1}', admin, 400),
            ("deep nesting", "POST", "/v1/tasks", b'{"handler":"errand.echo","arguments":' + b"[" * 100000 + b"]" * 100000 + b"}", admin, 400),
        ]
        for name, method, path, body, token, status in http_cases:
            got = probe(url + path, method, body, token)
            check(got == status, f"bad-input {name}: HTTP {got}, expected {status}")
            out(f"  {name}: HTTP {got}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # A corrupt row: dead-lettered, the listing goes on.
    with sqlite3.connect(database) as db:
        victim = db.execute("SELECT id FROM errand_task WHERE queue = 'keep' ORDER BY id LIMIT 1").fetchone()[0]
        db.execute("UPDATE errand_task SET state = 'bogus' WHERE id = ?", (victim,))
    code, stdout, err = errand.run(["task", "list", "--queue", "keep", "-o", "json"])
    listed = json.loads(stdout) if code == 0 else []
    check(code == 0 and len(listed) == 19, f"bad-input corrupt row: exit {code}, {len(listed)} listed, {err[:200]}")
    letters = errand.json(["task", "list", "--state", "deadletter"])
    check(len(letters) == 1 and victim in letters[0]["error"], f"bad-input corrupt row: dead letters {letters}")
    out(f"  corrupt row: listing exit {code} with {len(listed)} of 20; dead letter: {letters[0]['error'][:100] if letters else None}")
    kept = [task for task in json.loads(before) if task["id"] != victim]
    check(kept == listed, "bad-input: the other tasks changed")
    out(f"  the other {len(kept)} tasks: {'untouched' if kept == listed else 'CHANGED'}")
