"""Experiments on a cluster of nodes over one PostgreSQL: kill -9 churn, and a restart and outage of the server."""

import json
import os
import random
import tempfile
import time

from chaoslib.common import (
    out, check, eventually, summary, Errand, Postgres, EventLog, report, add_tasks, pg_counts, pg_attempt_figures, leader_of, started_at,
)


def pg_kill(base, args):
    cycles, tasks = (100, 20_000) if args.long else (4, 500)
    out(f"== pg-kill: 3 nodes, {tasks} tasks, {cycles} kill -9 cycles")
    directory = tempfile.mkdtemp(prefix="chaos-pg-kill-", dir=base)
    pg = Postgres(directory)
    try:
        errand = Errand(args.errand, ["--store", pg.url], directory)
        errand.ok(["migrate"])
        errand.ok(["queue", "create", "chaos"])
        names = ["node-a", "node-b", "node-c"]
        for name in names:
            errand.start(name, extra=["--capacity", "16"])
        api = errand.api("node-a")
        cursor, marker = EventLog.head(api, errand)
        # Long enough that every kill lands while work is running: about a second of work per cycle on 3 × 16 slots.
        add_tasks(errand, tasks, 0.3 if args.long else 0.2, queue="chaos", ttr=None if args.long else 3)
        takeovers, restarts = [], []
        random.seed(7)
        for cycle in range(cycles):
            leader = leader_of(errand)
            victim = leader if cycle % 2 == 0 and leader in names else random.choice(names)
            killed_at = time.monotonic()
            errand.kill(victim)
            if victim == leader:
                if check(eventually(lambda: leader_of(errand) not in (None, victim), 20, 0.05), f"no new leader after killing {victim}"):
                    takeovers.append(time.monotonic() - killed_at)
            errand.start(victim, extra=["--capacity", "16"])
            done_before, _ = pg_counts(pg, "chaos")
            started = time.monotonic()
            # Recovered when the cluster completes tasks again (or has none left).
            eventually(lambda: pg_counts(pg, "chaos")[0] > done_before or done_before == tasks, 30, 0.05)
            restarts.append(time.monotonic() - started)
            time.sleep(random.uniform(0.2, 0.8))
        finished = eventually(lambda: pg_counts(pg, "chaos")[0] == tasks, 600 if args.long else 120, 0.5)
        check(finished, "pg-kill: the drain did not finish:\n" + errand.logs())
        completed, total = pg_counts(pg, "chaos")
        check(total == tasks, f"pg-kill: {total} tasks stored, {tasks} added")
        duplicates, outcomes = pg_attempt_figures(pg, "chaos")
        apis = lambda: [u for u in (errand.api(n, 1) for n in list(errand.nodes)) if u]
        seen, events = EventLog(apis).completions(cursor)
        seen.pop(marker, None)
        event_duplicates = sum(1 for count in seen.values() if count > 1)
        report("pg-kill", tasks, completed, duplicates, event_duplicates, outcomes, [
            f"events read: {events}; completions in the event log: {sum(seen.values())} of {tasks}",
            f"leader takeover after kill -9 of the leader: {summary(takeovers)}",
            f"first completion after a restart: {summary(restarts)}",
        ])
        check(sum(seen.values()) >= tasks, "pg-kill: the event log misses completions")
        errand.stop_all()
    finally:
        pg.stop()


def pg_outage(base, args):
    outage = args.outage or (60 if args.long else 12)
    out(f"== pg-outage: 2 nodes; a restart, then PostgreSQL stopped for {outage} s (heartbeat expiration 10 s)")
    directory = tempfile.mkdtemp(prefix="chaos-pg-outage-", dir=base)
    pg = Postgres(directory)
    try:
        errand = Errand(args.errand, ["--store", pg.url], directory)
        errand.ok(["migrate"])
        errand.ok(["queue", "create", "chaos"])
        nodes = [errand.start("node-a"), errand.start("node-b", command="worker")]
        cursor, marker = EventLog.head(errand.api("node-a"), errand)
        tasks = 400
        add_tasks(errand, tasks // 2, 0.02, queue="chaos", ttr=None if args.long else 3)
        check(eventually(lambda: pg_counts(pg, "chaos")[0] >= 50, 60), "no progress before the restart")
        pg.ctl("restart")
        check(eventually(lambda: pg_counts(pg, "chaos")[0] == tasks // 2, 120), "the first half did not finish after a restart")
        pg.ctl("stop")
        time.sleep(outage)
        alive = all(node.poll() is None for node in nodes)
        check(alive, f"a node exited during a {outage} s outage:\n" + errand.logs())
        pg.ctl("start")
        back = time.monotonic()
        back_wall = time.time()
        task = None
        def added():
            nonlocal task
            status, out, _ = errand.run(["task", "add", "--handler", "errand.echo", "--args", "1", "--queue", "chaos"])
            task = out if status == 0 else None
            return task is not None
        eventually(added, 30, 0.05)
        resumed = eventually(lambda: errand.run(["task", "get", task, "-o", "json"])[1].find('"completed"') >= 0, 60, 0.05)
        resumed_after = time.monotonic() - back
        check(resumed, "no task ran after the outage:\n" + errand.logs())
        started = json.loads(errand.run(["task", "get", task, "-o", "json"])[1]).get("started_at", "")
        started_after = started_at(started) - back_wall if started else float("nan")
        add_tasks(errand, tasks // 2 - 1, 0.02, queue="chaos")
        check(eventually(lambda: pg_counts(pg, "chaos")[0] == tasks, 120), "the second half did not finish")
        check(all(node.poll() is None for node in nodes), "a node exited after the outage")
        completed, total = pg_counts(pg, "chaos")
        duplicates, outcomes = pg_attempt_figures(pg, "chaos")
        seen, events = EventLog(lambda: [errand.api("node-a", 1)]).completions(cursor)
        seen.pop(marker, None)
        event_duplicates = sum(1 for count in seen.values() if count > 1)
        check(sum(seen.values()) >= tasks, f"pg-outage: the event log shows {sum(seen.values())} completions of {tasks}")
        rejoined = sum(open(os.path.join(directory, f)).read().count("rejoined as a new worker")
                       for f in os.listdir(directory) if f.startswith("node-"))
        report("pg-outage", total, completed, duplicates, event_duplicates, outcomes, [
            f"events read: {events}; completions in the event log: {sum(seen.values())} of {tasks}",
            f"{outage} s outage survived by {sum(node.poll() is None for node in nodes)} of {len(nodes)} nodes, no restart",
            f"a task added as the server came back started {started_after:.2f} s after the server was ready "
            f"(completed, as seen by the CLI, after {resumed_after:.2f} s)",
            f"nodes that rejoined after being salvaged: {rejoined}",
        ])
        errand.stop_all()
    finally:
        pg.stop()
