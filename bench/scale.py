#!/usr/bin/env python3
"""Speed at scale (issue 6): the same pages at 10 k, 1 M and 10 M posts.

Run through bench/scale.sh, which builds the binaries and installs wrk; see
bench/README.md. `run` measures one scale on one database (generating the
data first, or reusing what an earlier run generated); `report` puts the
figures of several runs side by side.
"""

import argparse
import json
import os
import sys
import time

from hearth_bench import ROOT, Database, Server, commit, fetch, load_average, log, now_utc, wrk

SPACE = "living-with-cancer"
FILTER_SPACE = "ask-a-nurse"
COMMON_WORD = "treatment"
# Near the end of the generator's vocabulary (crates/hearth-server/src/generator/text.rs):
# about 2 posts in 10,000 (206 of 1 M with seed 1).
RARE_WORD = "bellringing"
STATS_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx_3xx":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def scale_database(args):
    return Database(args.database, os.path.join(args.scale_dir, f"{args.database}-{args.posts}"),
                    args.pg_server, f"hearth_scale_{args.posts}")


def generated(db, args):
    """The data, generated now or by an earlier run."""
    marker = os.path.join(db.data_dir, "generated.json")
    if os.path.exists(marker) and not args.regenerate:
        with open(marker) as f:
            made = json.load(f)
        log(f"reusing {made['posts']} posts generated {made['date']} ({db.data_dir})")
        return made
    log(f"hearth demo --scale {args.posts} on {db.kind} (under nice -n {args.nice})")
    made = db.generate(args.bin, args.posts, args.seed, args.nice)
    with open(marker, "w") as f:
        json.dump(made, f, indent=2)
    log(f"{made['summary']} ({made['seconds']} s in all)")
    return made


def member_session(db, args):
    """A signed-in member's session, made once per data."""
    path = os.path.join(db.data_dir, "member.session")
    if not os.path.exists(path):
        (session,) = db.sessions(args.load_bin, 1, os.path.join(db.data_dir, "setup.sessions"))
        with open(path, "w") as f:
            f.write(session)
    with open(path) as f:
        return f.read().strip()


def targets(db):
    """The pages to measure, found in the data."""
    (long_id, long_replies), = db.query(
        "SELECT t.id, t.reply_count FROM topics t JOIN spaces s ON s.id = t.space_id"
        " WHERE s.tier = 'public_read' AND s.kind = 'forum'"
        " ORDER BY t.reply_count DESC, t.id LIMIT 1"
    )
    late = db.query(
        "SELECT id FROM posts WHERE topic_id = ? ORDER BY id DESC LIMIT 1 OFFSET 50", (int(long_id),)
    )
    (space_id, topic_count), = db.query(
        "SELECT id, topic_count FROM spaces WHERE slug = ?", (SPACE,)
    )
    typical = db.query(
        "SELECT id FROM topics WHERE space_id = ? AND reply_count BETWEEN 4 AND 8"
        " AND id >= (SELECT MAX(id) / 2 FROM topics) ORDER BY id LIMIT 1",
        (int(space_id),),
    )
    deep = db.query(
        "SELECT last_activity_at, id FROM topics WHERE space_id = ? AND pinned = 0"
        " ORDER BY last_activity_at DESC, id DESC LIMIT 1 OFFSET ?",
        (int(space_id), int(topic_count) // 2),
    )
    pages = [
        ("topic, long: first page", f"/t/{long_id}", f"{long_replies} replies"),
    ]
    if late:
        pages.append(("topic, long: last page", f"/t/{long_id}?after={late[0][0]}", "the last 50 posts"))
    if typical:
        pages.append(("topic, typical", f"/t/{typical[0][0]}", "4–8 replies"))
    pages.append(("space: first page", f"/s/{SPACE}", f"{topic_count} topics"))
    if deep:
        pages.append(("space: deep page", f"/s/{SPACE}?after={deep[0][0]}_{deep[0][1]}",
                      f"half-way down, {int(topic_count) // 2} topics in"))
    pages += [
        ("front page", "/", "latest topics"),
        ("search: common word", f"/search?q={COMMON_WORD}", COMMON_WORD),
        ("search: rare word", f"/search?q={RARE_WORD}", RARE_WORD),
        ("search: common word in one space", f"/search?q={COMMON_WORD}&space={FILTER_SPACE}",
         f"{COMMON_WORD}, space {FILTER_SPACE}"),
    ]
    return pages


def timed_fetch(url, cookie):
    started = time.monotonic()
    status, body = fetch(url, cookie)
    return status, body, round((time.monotonic() - started) * 1000, 2)


def settle(server, limit=300):
    """Waits until the server is idle: a request wrk gave up on (or left in
    flight when it stopped) is still worked on by the server, and would
    otherwise be counted against the next figure."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.5)
        if server.cpu_seconds() - before < 0.05:
            return
    log(f"the server was still busy {limit} s after the load stopped")


def run(args):
    db = scale_database(args)
    made = generated(db, args)
    if args.generate_only:
        return
    session = member_session(db, args)
    pages = targets(db)
    os.makedirs(args.out_dir, exist_ok=True)
    script = os.path.join(args.out_dir, "scale-stats.lua")
    with open(script, "w") as f:
        f.write(STATS_LUA)
    server = Server(args.bin, db, args.server_cpu,
                    os.path.join(args.out_dir, f"scale-{db.kind}-{args.posts}.log"))
    report = {
        "posts": args.posts,
        "database": db.kind,
        "generated": made,
        "date": now_utc(),
        "commit": commit(),
        "connections": args.connections,
        "duration_s": args.duration,
        "load_before": load_average(),
        "pages": [],
    }
    who = [("guest", None), ("member", f"hearth_session={session}")]
    try:
        for name, path, note in pages:
            entry = {"page": name, "path": path, "note": note}
            for label, cookie in who:
                status, body = fetch(server.base + path, cookie)
                # And once more alone, timed: the figure that remains when a
                # page is too slow for wrk to see any answer.
                if status == 200:
                    status, body, alone_ms = timed_fetch(server.base + path, cookie)
                if status != 200:
                    sys.exit(f"{label} GET {path}: {status}")
                if label == "member" and b"Sign out" not in body:
                    sys.exit(f"the member's page {path} is not signed in")
                headers = [f"Cookie: {cookie}"] if cookie else []
                wrk(server.base + path, args.warmup, args.connections, args.load_cpu, script, headers)
                settle(server)
                stats = wrk(server.base + path, args.duration, args.connections, args.load_cpu,
                            script, headers)
                settle(server)
                stats["bytes"] = len(body)
                stats["alone_ms"] = alone_ms
                entry[label] = stats
                log(f"{name} ({label}): p50 {stats['p50_us'] / 1000:.2f} ms,"
                    f" p99 {stats['p99_us'] / 1000:.2f} ms, {stats['rps']} req/s, alone {alone_ms} ms")
            report["pages"].append(entry)
    finally:
        server.stop()
    report["load_after"] = load_average()
    path = os.path.join(args.out_dir, f"scale-{db.kind}-{args.posts}.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    print(table([report]))
    log(f"figures in {path}")
    if args.drop_after:
        log(f"dropping the {args.posts}-post data")
        db.drop()


def ms(us):
    return f"{us / 1000:.1f}" if us >= 1000 else f"{us / 1000:.2f}"


def table(reports):
    """One table per database: each page as guest and member, p50 / p99
    (and p95 for search) at each scale, and the largest over the smallest."""
    out = []
    by_db = {}
    for r in reports:
        by_db.setdefault(r["database"], []).append(r)
    for database, runs in by_db.items():
        runs.sort(key=lambda r: r["posts"])
        scales = [human(r["posts"]) for r in runs]
        out.append(f"\n{database}, {args_line(runs)}\n")
        header = "| page | as | " + " | ".join(f"{s} p50 / p95 / p99 (ms)" for s in scales)
        if len(runs) > 1:
            header += f" | {scales[-1]} ÷ {scales[0]} p50 / p99"
        out.append(header + " |")
        out.append("|" + " --- |" * (2 + len(runs) + (1 if len(runs) > 1 else 0)))
        names = [p["page"] for p in runs[-1]["pages"]]
        for name in names:
            for label in ("guest", "member"):
                cells = []
                figures = []
                for r in runs:
                    page = next((p for p in r["pages"] if p["page"] == name), None)
                    s = page and page.get(label)
                    if not s:
                        cells.append("–")
                        figures.append(None)
                        continue
                    bad = s["non_2xx_3xx"] + s["socket_errors"]
                    if not s["requests"]:
                        # wrk saw no answer at all: its percentiles are zeros.
                        alone = s.get("alone_ms")
                        cells.append(f"none in {r['duration_s']} s" + (f" (alone: {alone:.0f})" if alone else ""))
                        figures.append(None)
                        continue
                    cell = f"{ms(s['p50_us'])} / {ms(s['p95_us'])} / {ms(s['p99_us'])}"
                    if bad:
                        cell += f" ({bad} errors)"
                    cells.append(cell)
                    figures.append(s)
                row = f"| {name} | {label} | " + " | ".join(cells)
                if len(runs) > 1:
                    a, b = figures[0], figures[-1]
                    row += " | " + (f"{b['p50_us'] / a['p50_us']:.2f} / {b['p99_us'] / a['p99_us']:.2f}"
                                    if a and b else "–")
                out.append(row + " |")
    return "\n".join(out)


def human(n):
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % (size // 10) == 0:
            return f"{n / size:g} {unit}"
    return str(n)


def args_line(runs):
    r = runs[-1]
    return (f"{r['connections']} connections, {r['duration_s']} s per figure, commit {r['commit']}, "
            f"load {' / '.join(x['load_before'] for x in runs)}")


def report(args):
    reports = []
    for path in args.files:
        with open(path) as f:
            reports.append(json.load(f))
    print(table(reports))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--posts", type=int, required=True)
    r.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    r.add_argument("--bin", required=True)
    r.add_argument("--load-bin", required=True, help="chat-load, to make the member's session")
    r.add_argument("--scale-dir", default=os.path.join(ROOT, "bench", "out", "scale"))
    r.add_argument("--out-dir", default=os.path.join(ROOT, "bench", "out"))
    r.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--nice", type=int, default=10)
    r.add_argument("--regenerate", action="store_true")
    r.add_argument("--drop-after", action="store_true")
    r.add_argument("--generate-only", action="store_true", help="generate (or find) the data, measure nothing")
    r.add_argument("--connections", type=int, default=8)
    r.add_argument("--duration", type=int, default=10)
    r.add_argument("--warmup", type=int, default=2)
    r.add_argument("--server-cpu", type=int, default=0)
    r.add_argument("--load-cpu", type=int, default=1)
    p = sub.add_parser("report")
    p.add_argument("files", nargs="+")
    args = parser.parse_args()
    if args.command == "run":
        if args.posts < 1:
            parser.error("--posts must be at least 1")
        run(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
