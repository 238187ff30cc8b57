"""What bench/scale.py and bench/write.py share: a Hearth database (SQLite
file or PostgreSQL database, with its data directory), generating data into
it, starting the release server pinned to a CPU, and wrk."""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(message):
    print(f"== {message}", file=sys.stderr, flush=True)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def commit():
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


def now_utc():
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Database:
    """A SQLite file in `data_dir`, or the PostgreSQL database `pg_name` on
    `pg_server` (the data directory then holds only the key file)."""

    def __init__(self, kind, data_dir, pg_server, pg_name):
        self.kind = kind
        self.data_dir = data_dir
        self.pg_server = pg_server.rstrip("/")
        self.pg_name = pg_name

    @property
    def url(self):
        if self.kind == "postgres":
            return f"{self.pg_server}/{self.pg_name}"
        return None

    def env(self):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["HEARTH_DATA_DIR"] = self.data_dir
        if self.url:
            env["DATABASE_URL"] = self.url
        return env

    def psql(self, sql, database=None):
        url = f"{self.pg_server}/{database or self.pg_name}"
        out = subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def query(self, sql, args=()):
        """Rows (as strings) of a query written with ? placeholders, which
        are filled in here for psql: only numbers and fixed words."""
        if self.kind == "sqlite":
            with sqlite3.connect(os.path.join(self.data_dir, "hearth.db")) as db:
                return [tuple(str(v) for v in row) for row in db.execute(sql, args)]
        for a in args:
            sql = sql.replace("?", f"'{a}'" if isinstance(a, str) else str(int(a)), 1)
        return self.psql(sql)

    def wipe(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.makedirs(self.data_dir)
        if self.kind == "postgres":
            self.psql(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)", "postgres")
            self.psql(f"CREATE DATABASE {self.pg_name}", "postgres")

    def drop(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.kind == "postgres":
            self.psql(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)", "postgres")

    def size_bytes(self):
        if self.kind == "postgres":
            return int(self.psql(f"SELECT pg_database_size('{self.pg_name}')")[0][0])
        return sum(
            os.path.getsize(os.path.join(self.data_dir, f))
            for f in os.listdir(self.data_dir)
            if f.startswith("hearth.db")
        )

    def generate(self, bin_path, posts, seed, nice):
        """`hearth demo --scale` into a wiped database; what it took."""
        self.wipe()
        load_before = load_average()
        started = time.monotonic()
        result = subprocess.run(
            ["nice", "-n", str(nice), bin_path, "demo", "--scale", str(posts), "--seed", str(seed)],
            env=self.env(), stdout=subprocess.PIPE, text=True,
        )
        seconds = time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"hearth demo --scale failed:\n{result.stdout}")
        return {
            "posts": posts,
            "database": self.kind,
            "seed": seed,
            "seconds": round(seconds, 1),
            "summary": result.stdout.strip().splitlines()[-1],
            "bytes": self.size_bytes(),
            "date": now_utc(),
            "load_before": load_before,
            "load_after": load_average(),
            "nice": nice,
        }

    def sessions(self, load_bin, members, path):
        """`members` members with a session each (and the terms accepted),
        made through the server's services by the chat benchmark's setup
        tool; returns the session tokens."""
        subprocess.run(
            [load_bin, "setup", "--members", str(members), "--senders", str(members),
             "--sessions", path],
            env=self.env(), check=True,
        )
        with open(path) as f:
            return [line.split("\t")[1].strip() for line in f if "\t" in line]


def fetch(url, cookie=None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


class Server:
    """`hearth serve` on a free loopback port, pinned to one CPU."""

    def __init__(self, bin_path, db, cpu, log_path):
        port = free_port()
        env = db.env()
        self.base = f"http://127.0.0.1:{port}"
        env.update({"HEARTH_BIND": f"127.0.0.1:{port}", "HEARTH_BASE_URL": self.base,
                    "RUST_LOG": "warn"})
        self.log_path = log_path
        self.process = subprocess.Popen(
            ["taskset", "-c", str(cpu), bin_path, "serve"],
            env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
        )
        for _ in range(1200):
            if self.process.poll() is not None:
                sys.exit(f"hearth serve exited; see {log_path}")
            try:
                if fetch(self.base + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        sys.exit("hearth not healthy after 120 s")

    def cpu_seconds(self):
        """User and system time the server has used."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wrk(url, seconds, connections, cpu, script, headers=(), script_args=(), threads=1):
    """wrk with a Lua script whose `done` writes one JSON line; that line."""
    command = ["taskset", "-c", str(cpu), "wrk", f"-t{threads}", f"-c{connections}",
               f"-d{seconds}s", "--timeout", "10s", "-s", script]
    for h in headers:
        command += ["-H", h]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"wrk printed no figures:\n{out}")
    stats = json.loads(lines[-1])
    stats["rps"] = round(stats["requests"] / (stats["duration_us"] / 1e6), 1)
    return stats
