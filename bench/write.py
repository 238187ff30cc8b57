#!/usr/bin/env python3
"""Write throughput (issue 6): new replies through the web form, with every
guard running, from many members at once, sustained. Run through
bench/write.sh; see bench/README.md."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from hearth_bench import (ROOT, Database, Server, commit, load_average, log, make_accounts, now_utc,
                          raise_posting_limits, sign_in, wrk)


def count_posts(db):
    ((posts, held),) = db.query("SELECT COUNT(*), COALESCE(SUM(held), 0) FROM posts")
    return int(posts), int(held)


def run(args):
    work = tempfile.mkdtemp(prefix="hearth-write.")
    db = Database(args.database, os.path.join(work, "data"), args.pg_server, "hearth_write_bench")
    server = None
    try:
        log(f"hearth demo --scale {args.base_posts} on {db.kind}")
        made = db.generate(args.bin, args.base_posts, 1, 0)
        log(made["summary"])
        log(f"{args.writers} members with sessions (chat-load setup)")
        sessions_path = os.path.join(work, "sessions")
        db.sessions(args.load_bin, args.writers, sessions_path)
        admin, _ = make_accounts(args.bin, db.env(), [])
        topics = db.query(
            "SELECT t.id FROM topics t JOIN spaces s ON s.id = t.space_id"
            " WHERE s.kind = 'forum' ORDER BY t.id"
        )
        topics_path = os.path.join(work, "topics")
        with open(topics_path, "w") as f:
            f.writelines(f"{t}\n" for (t,) in topics)
        server = Server(args.bin, db, args.server_cpu, os.path.join(args.out_dir, f"write-{db.kind}.log"))
        # As an admin would on Admin › Safety: 120 posts a minute, for new
        # members too. Each member then posts about once a second at 1,000
        # replies a second, under the limit: it is checked on every reply
        # and refuses none.
        raise_posting_limits(server.port, sign_in(server.port, *admin)[1])
        script = os.path.join(ROOT, "bench", "write.lua")
        script_args = [sessions_path, topics_path, str(args.threads)]
        log(f"warm-up {args.warmup} s")
        wrk(server.base, args.warmup, args.connections, args.load_cpu, script,
            script_args=script_args, threads=args.threads)
        before, held_before = count_posts(db)
        load_before = load_average()
        cpu_before = server.cpu_seconds()
        log(f"{args.duration} s of replies from {args.connections} connections")
        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", args.perf,
                                     "-p", str(server.process.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stats = wrk(server.base, args.duration, args.connections, args.load_cpu, script,
                    script_args=script_args, threads=args.threads)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        cpu = server.cpu_seconds() - cpu_before
        load_after = load_average()
        after, held_after = count_posts(db)
        server.stop()
        seconds = stats["duration_us"] / 1e6
        acknowledged = stats["statuses"].get("303", 0)
        report = {
            "database": db.kind,
            "date": now_utc(),
            "commit": commit(),
            "base_posts": args.base_posts,
            "writers": args.writers,
            "connections": args.connections,
            "server_cpus": args.server_cpu,
            "topics": len(topics),
            "seconds": round(seconds, 1),
            "statuses": stats["statuses"],
            "acknowledged": acknowledged,
            "replies_per_second": round(acknowledged / seconds, 1),
            "p50_ms": stats["p50_us"] / 1000,
            "p95_ms": stats["p95_us"] / 1000,
            "p99_ms": stats["p99_us"] / 1000,
            "max_ms": stats["max_us"] / 1000,
            "socket_errors": stats["socket_errors"],
            "posts_added": after - before,
            "held": held_after - held_before,
            "server_cpu_ms_per_reply": round(1000 * cpu / max(acknowledged, 1), 3),
            "load_before": load_before,
            "load_after": load_after,
        }
        os.makedirs(args.out_dir, exist_ok=True)
        path = os.path.join(args.out_dir, f"write-{db.kind}.json")
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
        print(markdown(report))
        log(f"figures in {path}")
        if report["socket_errors"] or set(report["statuses"]) - {"303"}:
            log("warning: not every request was a stored reply (see statuses)")
    finally:
        if server:
            server.stop()
        db.drop()
        shutil.rmtree(work, ignore_errors=True)


def markdown(r):
    statuses = ", ".join(f"{n} × {s}" for s, n in sorted(r["statuses"].items()))
    return "\n".join([
        f"Write throughput, {r['database']}, {r['date']}, commit {r['commit']}: "
        f"{r['writers']} members replying to {r['topics']} topics of a {r['base_posts']}-post community, "
        f"{r['connections']} connections, {r['seconds']} s (load {r['load_before']} → {r['load_after']}), "
        f"server on CPU {r['server_cpus']}",
        "",
        "| measure | figure |",
        "| --- | ---: |",
        f"| replies stored and acknowledged (303) a second | **{r['replies_per_second']}** |",
        f"| latency p50 / p95 / p99 / max (ms) | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} / {r['p99_ms']:.1f} / {r['max_ms']:.1f} |",
        f"| answers | {statuses}; socket errors {r['socket_errors']} |",
        f"| posts in the database after less before (any in flight at either end included), of them held for a moderator | {r['posts_added']}, {r['held']} |",
        f"| server CPU per reply (ms) | {r['server_cpu_ms_per_reply']} |",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--load-bin", required=True)
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "bench", "out"))
    parser.add_argument("--base-posts", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    # CPUs as taskset takes them: "0" (the default, as the nginx comparison
    # pins it), or "0,1" for the whole machine, shared with wrk.
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--perf", help="record a profile of the server while it writes, into this file")
    args = parser.parse_args()
    if args.writers < 1 or args.base_posts < 1 or args.duration < 1:
        parser.error("--writers, --base-posts and --duration must be at least 1")
    run(args)


if __name__ == "__main__":
    main()
