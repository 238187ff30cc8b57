#!/usr/bin/env python3
"""Crash test: keep posting replies while the server is killed with SIGKILL.

Starts `hearth serve`, has several members post replies through the JSON API
(each with its own access token) without pause, and kills the server at
random moments, restarting it each time. Every reply answered 201 is recorded
with its id and text. At the end the server is stopped cleanly and:

  * every acknowledged reply must be in the database with the very text sent,
    and in the search index (a search through the API finds it);
  * the database must pass its integrity checks (SQLite: PRAGMA
    integrity_check, foreign_key_check, the FTS5 index's own integrity-check;
    PostgreSQL: amcheck's bt_index_check with heapallindexed on every B-tree
    index, verify_heapam on every table);
  * the counters the server keeps must agree with the rows (topic reply
    counts and space post counts, written in the same transaction as a post).

Standard library only. Run through bench/crash.sh (see bench/README.md).
Exits 1 when anything was lost, changed or inconsistent.
"""

import argparse
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time

from hearth_bench import Api, conclude, free_port, site_env, healthy, letters, make_accounts, prepare_space, run, sign_in

SENTENCES = [
    "The nurse on the ward explained the plan for the next cycle.",
    "Walking in the park after lunch helps with the tiredness.",
    "We brought a flask of tea and a blanket for the long afternoon.",
    "Ginger biscuits were the only thing that settled my stomach.",
    "My sister came along and took notes, which helped a lot.",
    "The waiting room had puzzles, and a kind volunteer with coffee.",
    "Small steps each day: a shower, a short walk, a phone call to a friend.",
    "Ask about the mouthwash; it made eating much easier for me.",
    "Thank you all for the advice, it makes the week less daunting.",
    "Café au lait and a croissant felt like a small victory — naïve, maybe, but ✓.",
]


class Server:
    def __init__(self, binary, env, log_path):
        self.binary, self.env, self.log_path = binary, env, log_path
        self.proc = None
        self.starts = 0

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log)
        log.close()
        self.starts += 1
        return time.monotonic()

    def wait_ready(self, port, limit=120):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"hearth exited with {self.proc.returncode} while starting; see {self.log_path}")
            if healthy(port, 1):
                return
            time.sleep(0.02)
        raise SystemExit(f"hearth did not answer /healthz within {limit} s; see {self.log_path}")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}  # post id -> (text, search tag, held)
        self.in_doubt = 0  # sent, but the connection died before the answer
        self.refused = {}  # status -> count (422 spam, 429, 503...)
        self.errors = []  # answers that should never happen (5xx other than 503)


def writer(index, port, token, topics, tally, stop, seed):
    """Posts replies one after another. Even writers are staff, who post as
    fast as the server answers; odd ones are members, who pass every check
    of a member's post and keep under the posting limit (120 a minute)."""
    rng = random.Random(seed * 1000 + index)
    api = Api(port, token)
    pace = 0.0 if index % 2 == 0 else 0.55
    n = 0
    while not stop.is_set():
        n += 1
        tag = f"crashnote{letters(index)}x{letters(n)}"
        text = f"{tag} " + " ".join(rng.sample(SENTENCES, 3))
        topic = rng.choice(topics)
        try:
            status, headers, body = api.call("POST", f"/api/topics/{topic}/posts", {"body": text})
        except ConnectionRefusedError:
            # Nothing was sent: the server is down, or not listening yet.
            time.sleep(0.02)
            continue
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.in_doubt += 1
            time.sleep(0.02)
            continue
        with tally.lock:
            if status == 201:
                tally.acked[body["post_id"]] = (text, tag, bool(body.get("held")))
            elif status >= 500 and status != 503:
                tally.errors.append((status, body))
            else:
                tally.refused[status] = tally.refused.get(status, 0) + 1
        if status in (429, 503):
            time.sleep(min(2.0, float(headers.get("retry-after", "1"))))
        time.sleep(pace)
    api.close()


def setup(binary, env, port, writers, server):
    """Members with tokens, and a space with topics where they may post as
    fast as an admin allows."""
    run([binary, "migrate"], env)
    admin, people = make_accounts(binary, env, ["staff" if i % 2 == 0 else "member" for i in range(writers)])
    server.start()
    server.wait_ready(port)
    topics = prepare_space(port, sign_in(port, *admin)[1], "crash-test", 4)
    return topics, [sign_in(port, *person)[1] for person in people]


# ---- checks ----------------------------------------------------------------------------

def check_sqlite(path, acked):
    db = sqlite3.connect(path)
    problems = []
    integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.append(f"integrity_check: {integrity[:5]}")
    fk = db.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        problems.append(f"foreign_key_check: {len(fk)} rows, e.g. {fk[:3]}")
    try:
        db.execute("INSERT INTO post_terms(post_terms) VALUES('integrity-check')")
    except sqlite3.DatabaseError as e:
        problems.append(f"FTS5 integrity-check: {e}")
    stored = {}
    ids = list(acked)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = ",".join("?" * len(chunk))
        for pid, body in db.execute(f"SELECT id, body_md FROM posts WHERE id IN ({q})", chunk):
            stored[pid] = body
    indexed = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = ",".join("?" * len(chunk))
        indexed.update(r[0] for r in db.execute(
            f"SELECT rowid FROM post_terms WHERE rowid IN ({q}) AND length(terms) > 0", chunk))
    unindexed_all = db.execute(
        "SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM post_terms t WHERE t.rowid = p.id)").fetchone()[0]
    counters = consistency(lambda sql: db.execute(sql).fetchall())
    db.close()
    return problems, stored, indexed, unindexed_all, counters, {"integrity_check": integrity[0] if integrity else "?",
                                                                "foreign_key_check_rows": len(fk)}


def psql(url, sql):
    r = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return r.stdout.strip()


def check_postgres(url, acked):
    problems = []
    psql(url, "CREATE EXTENSION IF NOT EXISTS amcheck")
    indexes = psql(url, """SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace""")
    try:
        psql(url, """SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace""")
    except RuntimeError as e:
        problems.append(f"bt_index_check: {e}")
    heap = psql(url, """SELECT count(*) FROM pg_class c, LATERAL verify_heapam(c.oid)
        WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace""")
    if heap != "0":
        problems.append(f"verify_heapam: {heap} corrupt tuples")
    ids = ",".join(str(i) for i in acked) or "0"
    rows = json.loads(psql(url, f"SELECT coalesce(json_agg(json_build_array(id, body_md)), '[]') FROM posts WHERE id IN ({ids})"))
    stored = {pid: body for pid, body in rows}
    indexed = set(json.loads(psql(url, f"SELECT coalesce(json_agg(post_id), '[]') FROM post_terms WHERE post_id IN ({ids})")))
    unindexed_all = int(psql(url, "SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM post_terms t WHERE t.post_id = p.id)"))

    def query(sql):
        out = psql(url, f"SELECT coalesce(json_agg(json_build_array(a, b, c)), '[]') FROM ({sql}) q(a, b, c)")
        return [tuple(r) for r in json.loads(out)]
    counters = consistency(query)
    return problems, stored, indexed, unindexed_all, counters, {"btree_indexes_checked": int(indexes),
                                                                "verify_heapam_corrupt": int(heap)}


def consistency(query):
    """Kept counters against the rows they count: a post and its counters are
    written in one transaction, so a crash may lose both, never one."""
    bad = []
    for topic, kept, real in query("""
        SELECT t.id, t.reply_count, (SELECT count(*) FROM posts p WHERE p.topic_id = t.id AND p.held = 0
            AND p.deleted_at IS NULL) - 1 FROM topics t"""):
        if kept != real:
            bad.append(f"topic {topic}: reply_count {kept}, visible replies {real}")
    for space, kept, real in query("""
        SELECT s.id, s.post_count, (SELECT count(*) FROM posts p JOIN topics t ON t.id = p.topic_id
            WHERE t.space_id = s.id AND p.held = 0 AND p.deleted_at IS NULL AND t.held = 0 AND t.deleted_at IS NULL)
        FROM spaces s"""):
        if kept != real:
            bad.append(f"space {space}: post_count {kept}, visible posts {real}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the hearth binary")
    ap.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in the work directory)")
    ap.add_argument("--work", required=True, help="an empty directory for the data and the log")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--max-interval", type=float, default=4.0,
                    help="each kill comes at a random moment up to this many seconds after the start")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--report", help="write the outcome as JSON here")
    a = ap.parse_args()
    if a.kills < 1 or a.writers < 1 or a.max_interval <= 0.1:
        ap.error("--kills and --writers must be at least 1, --max-interval more than 0.1")
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    port = free_port()
    env, data = site_env(a.work, port, a.database_url)
    server = Server(a.bin, env, os.path.join(a.work, "hearth.log"))
    started = time.monotonic()
    topics, tokens = setup(a.bin, env, port, a.writers, server)

    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=writer, args=(i, port, t, topics, tally, stop, seed), daemon=True)
               for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    kills_while_starting = 0
    acked_before = 0
    try:
        for k in range(a.kills):
            # The moment is drawn from the server's start: some kills land
            # while it is still starting (migrations, the search index).
            t0 = server.start() if k > 0 else time.monotonic()
            delay = rng.uniform(0.05, a.max_interval)
            time.sleep(max(0.0, t0 + delay - time.monotonic()))
            if not healthy(port, 0.2):
                kills_while_starting += 1
            server.kill()
            with tally.lock:
                acked, in_doubt = len(tally.acked), tally.in_doubt
            print(f"kill {k + 1}/{a.kills} {delay:.2f} s after the start: {acked} replies acknowledged "
                  f"({acked - acked_before} since the last kill), {in_doubt} requests in doubt", flush=True)
            acked_before = acked
        server.start()
        server.wait_ready(port)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    acked = dict(tally.acked)

    # The restarted server serves what was acknowledged, and finds it by search.
    api = Api(port)
    sample = rng.sample(sorted(acked), min(40, len(acked)))
    not_served, not_found_by_search = [], []
    for pid in sample:
        text, tag, held = acked[pid]
        status, _, body = api.call("GET", f"/api/posts/{pid}")
        if status != 200 or (not held and body.get("body_markdown") != text):
            not_served.append((pid, status))
        if not held:
            status, _, body = api.call("GET", f"/api/search?q={tag}")
            if status != 200 or pid not in [h["post_id"] for h in body.get("hits", [])]:
                not_found_by_search.append((pid, status))
    api.close()
    server.stop()

    if a.database_url:
        problems, stored, indexed, unindexed_all, counters, checks = check_postgres(a.database_url, acked)
    else:
        problems, stored, indexed, unindexed_all, counters, checks = check_sqlite(os.path.join(data, "hearth.db"), acked)
    missing = [pid for pid in acked if pid not in stored]
    changed = [pid for pid in acked if pid in stored and stored[pid] != acked[pid][0]]
    unindexed = [pid for pid in acked if pid not in indexed]
    problems += [f"{len(missing)} acknowledged replies missing, e.g. {missing[:5]}"] if missing else []
    problems += [f"{len(changed)} acknowledged replies changed, e.g. {changed[:5]}"] if changed else []
    problems += [f"{len(unindexed)} acknowledged replies not in the search index"] if unindexed else []
    problems += [f"{unindexed_all} posts in all not in the search index"] if unindexed_all else []
    problems += [f"kept counters disagree: {counters[:5]}"] if counters else []
    problems += [f"not served after the restart: {not_served[:5]}"] if not_served else []
    problems += [f"not found by search: {not_found_by_search[:5]}"] if not_found_by_search else []
    problems += [f"5xx answers other than 503: {len(tally.errors)}, e.g. {tally.errors[:3]}"] if tally.errors else []

    outcome = {
        "database": "postgresql" if a.database_url else "sqlite",
        "seed": seed,
        "kills": a.kills,
        "kills_while_starting": kills_while_starting,
        "writers": a.writers,
        "max_interval_s": a.max_interval,
        "server_starts": server.starts,
        "acknowledged": len(acked),
        "held_acknowledged": sum(1 for v in acked.values() if v[2]),
        "in_doubt": tally.in_doubt,
        "refused": {str(k): v for k, v in sorted(tally.refused.items())},
        "missing": len(missing),
        "changed": len(changed),
        "not_indexed": len(unindexed),
        "served_sample": len(sample),
        "checks": checks,
        "problems": problems,
        "seconds": round(time.monotonic() - started, 1),
    }
    conclude(outcome, a.report, f"{len(acked)} acknowledged replies all present and intact after {a.kills} kills")


if __name__ == "__main__":
    main()
