"""Helpers the Python benchmark drivers share: a small JSON API client, the
`hearth` command line, and a site made ready for load (accounts with tokens,
a space with topics, posting limits raised as far as an admin may); for the
scale and write benchmarks, a database that keeps generated data, the release
server pinned to a CPU, and wrk. Standard library only."""

import http.client
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


class Api:
    """One keep-alive connection to the server."""

    def __init__(self, port, token=None, timeout=10):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        """Returns (status, headers, parsed JSON or text); a broken
        connection raises (OSError or http.client.HTTPException)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        h = {"Accept": "application/json"}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except Exception:
            self.close()
            raise
        text = data.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        headers = {k.lower(): v for k, v in r.getheaders()}
        # Every cookie set, ready to send back as one Cookie header.
        headers["set-cookie"] = "; ".join(c.split(";")[0] for c in r.msg.get_all("Set-Cookie") or [])
        return r.status, headers, parsed

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def healthy(port, timeout=0.5):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def run(cmd, env, stdin=None):
    r = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def site_env(work, port, database_url=None):
    """The environment for `hearth` commands on a fresh site: its data
    directory in WORK/data (returned too), listening on PORT, on SQLite there
    or on DATABASE_URL. The caller's DATABASE_URL and key are not used."""
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HEARTH_SECRET_KEY")}
    env.update(HEARTH_DATA_DIR=data, HEARTH_BIND=f"127.0.0.1:{port}", RUST_LOG="warn")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env, data


def letters(n):
    """A number written in consonants: digits in a post could look like a
    phone number to the personal-detail guard."""
    return "".join("bcdfghjklm"[int(d)] for d in str(n))


def make_accounts(binary, env, roles):
    """An admin, and one account for each role in `roles` (member, staff…),
    made with `hearth admin create-user` (the server need not run).
    Returns the admin's (email, password) and the others'."""
    admin = ("bench-admin@example.org", "bench-admin-password-1")
    run([binary, "admin", "create-user", "--alias", "BenchAdmin", "--email", admin[0], "--role", "admin",
         "--password-stdin"], env, admin[1] + "\n")
    people = []
    for i, role in enumerate(roles):
        email, password = f"bench{i}@example.org", f"bench-password-{i}"
        run([binary, "admin", "create-user", "--alias", f"Bench{letters(i)}", "--email", email,
             "--role", role, "--password-stdin"], env, password + "\n")
        people.append((email, password))
    return admin, people


def sign_in(port, email, password):
    """The session's cookies (a Cookie header) and an API token for this account."""
    api = Api(port)
    status, headers, body = api.call("POST", "/api/session", {"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"sign-in of {email}: {status} {body}")
    cookie = headers["set-cookie"]
    status, _, body = api.call("POST", "/api/tokens", {"name": "bench"}, {"Cookie": cookie})
    if status != 201:
        raise SystemExit(f"token for {email}: {status} {body}")
    token = body["token"]
    # The terms and privacy statement in force (the demo has both) are
    # accepted, as a person does at first sign-in: posting waits for it.
    documents = []
    for kind in ("terms", "privacy"):
        status, _, doc = api.call("GET", f"/api/legal/{kind}")
        if status == 200:
            documents.append(doc["id"])
    if documents:
        status, _, body = api.call("POST", "/api/legal/accept", {"documents": documents},
                                   {"Authorization": f"Bearer {token}"})
        if status != 204:
            raise SystemExit(f"accepting the terms for {email}: {status} {body}")
    api.close()
    return cookie, token


def raise_posting_limits(port, admin_token):
    """Raises the posting limits as far as an admin may on Admin › Safety
    (120 a minute, no new-member limits)."""
    admin = Api(port, admin_token)
    status, _, safety = admin.call("GET", "/api/admin/safety")
    if status != 200:
        raise SystemExit(f"safety settings: {status} {safety}")
    safety.update(posts_per_minute=120, new_member_posts_per_minute=120, new_member_posts=0)
    status, _, body = admin.call("PUT", "/api/admin/safety", safety)
    if status != 204:
        raise SystemExit(f"safety settings: {status} {body}")
    admin.close()


def prepare_space(port, admin_token, slug, topics):
    """Raises the posting limits as far as an admin may, makes a public
    space moderated after posting, and starts `topics` topics in it.
    Returns the topic ids."""
    raise_posting_limits(port, admin_token)
    admin = Api(port, admin_token)
    status, _, body = admin.call("POST", "/api/spaces", {"name": f"Bench {slug}", "slug": slug,
                                                         "tier": "public_read", "moderation": "post"})
    if status not in (200, 201):
        raise SystemExit(f"space: {status} {body}")
    ids = []
    for t in range(topics):
        status, _, body = admin.call("POST", f"/api/spaces/{slug}/topics", {
            "title": f"Bench topic {letters(t)}", "body": "Replies keep coming here."})
        if status != 201:
            raise SystemExit(f"topic: {status} {body}")
        ids.append(body["topic_id"])
    admin.close()
    return ids


def conclude(outcome, report, summary):
    """Prints the outcome (and writes it to REPORT as JSON); exits 1 with the
    problems listed in it, if any, else prints PASS with SUMMARY."""
    print(json.dumps(outcome, indent=2))
    if report:
        with open(report, "w") as f:
            json.dump(outcome, f, indent=2)
    if outcome["problems"]:
        print("FAIL:\n  " + "\n  ".join(outcome["problems"]), file=sys.stderr)
        sys.exit(1)
    print(f"PASS: {summary}")


# --- the scale and write benchmarks -------------------------------------------------------


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
        self.port = port = free_port()
        env = db.env()
        self.base = f"http://127.0.0.1:{port}"
        env.update({"HEARTH_BIND": f"127.0.0.1:{port}", "HEARTH_BASE_URL": self.base,
                    # HEARTH_BENCH_LOG, e.g. "warn,sqlx::query=debug", to see each statement.
                    "RUST_LOG": os.environ.get("HEARTH_BENCH_LOG", "warn")})
        self.log_path = log_path
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.process = subprocess.Popen(
            ["taskset", "-c", str(cpu), bin_path, "serve"],
            env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
        )
        for _ in range(1200):
            if self.process.poll() is not None:
                sys.exit(f"hearth serve exited; see {log_path}")
            if healthy(port):
                return
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
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"wrk failed:\n{result.stdout}{result.stderr}")
    out = result.stdout
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"wrk printed no figures:\n{out}")
    stats = json.loads(lines[-1])
    stats["rps"] = round(stats["requests"] / (stats["duration_us"] / 1e6), 1)
    return stats
