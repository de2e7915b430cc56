"""PostgreSQL failover on a real HA stack: a primary and a streaming standby run by Patroni over etcd; the primary is
killed, Patroni promotes the standby, and the Errand nodes, on a store URL that lists both servers, follow it."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

from chaoslib.common import Errand, EventLog, Postgres, check, eventually, free_port, out, pg_attempt_figures, summary

PATRONI_SETTINGS = """scope: errand-chaos
name: {name}
restapi:
  listen: 127.0.0.1:{rest}
  connect_address: 127.0.0.1:{rest}
etcd3:
  hosts: 127.0.0.1:{etcd}
bootstrap:
  dcs:
    # Patroni's defaults are 30, 10 and 10 s; shorter, so that a run takes seconds (loop_wait + 2 × retry_timeout
    # must stay within ttl).
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: {synchronous}
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 200
        wal_log_hints: "on"
  initdb:
    - encoding: UTF8
    - no-locale
  pg_hba:
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{port}
  connect_address: 127.0.0.1:{port}
  data_dir: {directory}/data
  bin_dir: {bin}
  pgpass: {directory}/pgpass
  authentication:
    superuser:
      username: errand
      password: errand
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: {directory}
"""


def as_postgres(command):
    return ["runuser", "-u", "postgres", "--"] + command if os.getuid() == 0 else command


def missing_tools():
    return [tool for tool in ("patroni", "etcd") if not shutil.which(tool)]


class Member:
    """One Patroni-managed PostgreSQL server."""

    def __init__(self, cluster, name):
        self.cluster = cluster
        self.name = name
        self.directory = os.path.join(cluster.directory, name)
        os.makedirs(self.directory)
        os.chmod(self.directory, 0o700)
        if os.getuid() == 0:
            shutil.chown(self.directory, "postgres")
        self.port, self.rest = free_port(), free_port()
        self.settings = os.path.join(cluster.directory, f"{name}.yml")
        with open(self.settings, "w") as file:
            file.write(PATRONI_SETTINGS.format(name=name, rest=self.rest, etcd=cluster.etcd_port, port=self.port,
                                               directory=self.directory, bin=cluster.bin,
                                               synchronous="true" if cluster.synchronous else "false"))
        os.chmod(self.settings, 0o644)
        self.process = None

    def start(self):
        log = open(os.path.join(self.cluster.directory, f"patroni-{self.name}.log"), "a")
        self.process = subprocess.Popen(as_postgres(["patroni", self.settings]), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def role(self):
        """What Patroni's REST API says: primary, sync (a synchronous standby), replica, or None."""
        for path, role in (("primary", "primary"), ("sync", "sync"), ("replica", "replica")):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.rest}/{path}", timeout=1) as response:
                    if response.status == 200:
                        return role
            except OSError:
                continue
        return None

    def writable(self):
        try:
            return self.query("SELECT NOT pg_is_in_recovery()") == "t"
        except subprocess.SubprocessError:
            return False

    def query(self, sql):
        result = subprocess.run([f"{self.cluster.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "errand",
                                 "-d", "postgres", "-At", "-c", sql], capture_output=True, text=True, check=True, timeout=10)
        return result.stdout.strip()

    def kill(self):
        """kill -9 of Patroni and of its PostgreSQL: a machine lost (killing only the server, Patroni restarts it)."""
        with open(os.path.join(self.directory, "data", "postmaster.pid")) as file:
            postmaster = int(file.readline())
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.kill(postmaster, signal.SIGKILL)
        # Its backends go with it once they notice the postmaster is gone; wait for the port to close.
        eventually(lambda: not self.writable(), 10, 0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        pid_file = os.path.join(self.directory, "data", "postmaster.pid")
        if os.path.exists(pid_file):
            subprocess.run(as_postgres([f"{self.cluster.bin}/pg_ctl", "-D", os.path.join(self.directory, "data"),
                                        "-m", "immediate", "stop"]), capture_output=True)


class PatroniCluster:
    """etcd and two Patroni members; the first bootstraps the primary, the second clones it as a streaming standby."""

    def __init__(self, directory, synchronous):
        self.directory = directory
        self.synchronous = synchronous
        self.bin = Postgres.binaries()
        self.etcd_port, peer = free_port(), free_port()
        etcd_data = os.path.join(directory, "etcd")
        os.makedirs(etcd_data)
        if os.getuid() == 0:
            shutil.chown(etcd_data, "postgres")
        self.etcd = subprocess.Popen(
            as_postgres(["etcd", "--name", "chaos", "--data-dir", etcd_data,
                         "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                         "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                         "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                         "--initial-cluster", f"chaos=http://127.0.0.1:{peer}"]),
            stdout=open(os.path.join(directory, "etcd.log"), "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.members = [Member(self, "pg-1"), Member(self, "pg-2")]
        self.members[0].start()
        if not eventually(lambda: self.members[0].role() == "primary", 60, 0.2):
            raise RuntimeError("Patroni did not bootstrap a primary in 60 s; see patroni-pg-1.log")
        self.members[1].start()
        self.wait_for_standby(self.members[1])

    def wait_for_standby(self, member):
        wanted = "sync" if self.synchronous else "replica"
        if not eventually(lambda: member.role() == wanted, 90, 0.2):
            raise RuntimeError(f"{member.name} did not become a {wanted} standby in 90 s; see patroni-{member.name}.log")

    @property
    def url(self):
        hosts = ",".join(f"127.0.0.1:{member.port}" for member in self.members)
        return f"postgres://errand:errand@{hosts}/postgres?target_session_attrs=read-write"

    def primary(self):
        return next((member for member in self.members if member.role() == "primary"), None)

    def stop(self):
        for member in self.members:
            member.stop()
        os.killpg(self.etcd.pid, signal.SIGTERM)
        self.etcd.wait(timeout=30)


class Writer:
    """Enqueues one task per request through the nodes' HTTP APIs, from several threads, and records each
    acknowledgement: (task id, node index, monotonic time of the answer)."""

    def __init__(self, apis, threads=4):
        self.apis = apis
        self.acknowledged = []
        self.refused = 0
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self.run, args=(offset,), daemon=True) for offset in range(threads)]
        for thread in self.threads:
            thread.start()

    def run(self, turn):
        body = json.dumps({"handler": "errand.sleep", "arguments": 0.02, "queue": "chaos"}).encode()
        while self.running:
            turn += 1
            node = turn % len(self.apis)
            request = urllib.request.Request(f"{self.apis[node]}/v1/tasks", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    task = json.loads(response.read())["id"]
                with self.lock:
                    self.acknowledged.append((task, node, time.monotonic()))
            except (OSError, ValueError):
                with self.lock:
                    self.refused += 1
                time.sleep(0.02)

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=30)

    def since(self, instant):
        with self.lock:
            return [entry for entry in self.acknowledged if entry[2] > instant]


def pg_failover(base, args, synchronous=True):
    cycles = 5 if args.long else 1
    mode = "synchronous" if synchronous else "asynchronous"
    name = "pg-failover" if synchronous else "pg-failover-async"
    out(f"== {name}: Patroni primary + {mode} standby over etcd, 2 nodes on a two-host URL, {cycles} primary kill(s)")
    if missing_tools():
        check(False, f"{name}: {' and '.join(missing_tools())} missing (apt-get install patroni etcd-server)")
        return
    directory = tempfile.mkdtemp(prefix=f"chaos-{name}-", dir=base)
    os.chmod(directory, 0o755)
    cluster = PatroniCluster(directory, synchronous)
    errand = Errand(args.errand, ["--store", cluster.url], directory)
    try:
        errand.ok(["migrate"])
        errand.ok(["queue", "create", "chaos"])
        for node in ("node-a", "node-b"):
            errand.start(node, extra=["--capacity", "16"])
        apis = [errand.api("node-a"), errand.api("node-b")]
        cursor, marker = EventLog.head(apis[0], errand)
        writer = Writer(apis)
        promotions, follows, lost_windows, lost_total, lags = [], [], [], 0, []
        for cycle in range(cycles):
            time.sleep(2)
            old = cluster.primary()
            new = next(member for member in cluster.members if member is not old)
            # How far the standby trails at the moment of the kill: the window asynchronous replication can lose.
            lag = old.query("SELECT coalesce(max(pg_current_wal_lsn() - flush_lsn), 0) || ' ' || "
                            "coalesce(max(extract(epoch FROM flush_lag)) * 1000, 0)::numeric(10,2) FROM pg_stat_replication").split()
            lags.append((int(lag[0]), float(lag[1])))
            acknowledged_before = len(writer.acknowledged)
            killed = time.monotonic()
            old.kill()
            if not check(eventually(new.writable, 60, 0.05), f"{name}: {new.name} was not promoted within 60 s"):
                break
            promoted = time.monotonic()
            promoted_wall = time.time()
            promotions.append(promoted - killed)
            # A node has followed when it writes on the new primary: an acknowledged enqueue through it, and a finish
            # of its own recorded there.
            def followed(index, node_name):
                acknowledged = any(node == index for _, node, _ in writer.since(promoted))
                finished = new.query(f"SELECT count(*) FROM errand.attempt WHERE worker = '{node_name}' AND "
                                     f"finished_at > to_timestamp({promoted_wall})") != "0"
                return acknowledged and finished
            for index, node_name in enumerate(("node-a", "node-b")):
                if check(eventually(lambda: followed(index, node_name), 10, 0.05),
                         f"{name}: {node_name} was not on the new primary 10 s after its promotion"):
                    follows.append(time.monotonic() - promoted)
            # Acknowledged enqueues the new primary does not hold: the replication window.
            held = set(new.query("SELECT id FROM errand.task WHERE queue = 'chaos'").split())
            lost = [(task, at) for task, _, at in list(writer.acknowledged) if task not in held and at < promoted]
            lost_total += len(lost)
            if lost:
                lost_windows.append(killed - min(at for _, at in lost))
            out(f"  cycle {cycle + 1}: {old.name} killed; {new.name} promoted after {promotions[-1]:.2f} s; "
                f"{len(lost)} of {acknowledged_before} acknowledged tasks missing; the standby trailed by {lags[-1][0]} bytes "
                f"of WAL (last flush lag {lags[-1][1]:.2f} ms)")
            old.start()
            cluster.wait_for_standby(old)
        time.sleep(1)
        writer.stop()
        primary = cluster.primary()
        total = len(writer.acknowledged)
        held = set(primary.query("SELECT id FROM errand.task WHERE queue = 'chaos'").split())
        survivors = [task for task, _, _ in writer.acknowledged if task in held]
        def completed_count():
            return int(primary.query("SELECT count(*) FROM errand.task WHERE queue = 'chaos' AND state = 'completed'"))
        check(eventually(lambda: completed_count() == len(held), 120, 0.5),
              f"{name}: the drain did not finish:\n" + errand.logs())
        completed = completed_count()
        duplicates, outcomes = pg_attempt_figures(primary, "chaos")
        seen, events = EventLog(lambda: apis).completions(cursor)
        seen.pop(marker, None)
        event_duplicates = sum(1 for count in seen.values() if count > 1)
        alive = sum(process.poll() is None for process in errand.nodes.values())
        out(f"  {name}: acknowledged={total} held by the last primary={len(survivors)} lost={total - len(survivors)} "
            f"completed={completed} of {len(held)} duplicate_completions(attempts)={duplicates} "
            f"duplicate_completions(events)={event_duplicates}")
        out(f"    events read: {events}; completions in the event log: {sum(seen.values())} of {len(held)}")
        out(f"    attempts by outcome: {json.dumps(outcomes, sort_keys=True)}")
        out(f"    enqueues refused while no primary answered: {writer.refused}")
        out(f"    kill -9 of the primary to a writable standby (Patroni ttl 10 s): {summary(promotions)}")
        out(f"    promotion to each node writing on the new primary: {summary(follows)}")
        out(f"    nodes alive, never restarted: {alive} of 2")
        if lags:
            wal, flush = sorted(b for b, _ in lags), sorted(ms for _, ms in lags)
            out(f"    standby behind the primary at the kills: WAL bytes median {wal[len(wal) // 2]} max {wal[-1]}; "
                f"last flush lag median {flush[len(flush) // 2]:.2f} ms max {flush[-1]:.2f} ms")
        if not synchronous:
            out(f"    acknowledged tasks lost with asynchronous replication: {lost_total}"
                + (f", acknowledged within {summary(lost_windows)} before the kill" if lost_windows else ""))
        else:
            check(total == len(survivors), f"{name}: {total - len(survivors)} acknowledged tasks lost with synchronous replication")
        check(alive == 2, f"{name}: a node exited:\n" + errand.logs())
        check(duplicates == 0 or not synchronous, f"{name}: {duplicates} tasks succeeded twice")
        check(event_duplicates == 0 or not synchronous, f"{name}: {event_duplicates} tasks completed twice (event log)")
        check(sum(seen.values()) >= len(held), f"{name}: the event log misses completions")
        errand.stop_all()
    finally:
        for process in errand.nodes.values():
            process.kill()
        cluster.stop()


def pg_failover_async(base, args):
    pg_failover(base, args, synchronous=False)
