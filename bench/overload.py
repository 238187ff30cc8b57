#!/usr/bin/env python3
"""Overload: 2,000 concurrent connections against a mix of pages and posts.

Loads `hearth demo`, makes members and staff with sessions and tokens, starts
`hearth serve` pinned to CPU 0, and has wrk (pinned to CPU 1, bench/overload.lua)
keep CONNECTIONS connections busy with a mix of: the demo's busy topic page and
the front page as a guest (the guest page cache), searches (never cached), the
same pages signed in (rendered every time), a topic as JSON, and replies posted
through the API by staff (no posting limit) and members (limited to 120 a
minute, so many get 429). The server's resident memory and open files are
sampled throughout.

It passes when no answer was a 5xx other than 503, every 503 and 429 carried
Retry-After, no connection failed, the server is still running and serves a
signed-in page right after, and its log has no panic. Run through
bench/overload.sh (see bench/README.md).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

from hearth_bench import Api, conclude, free_port, site_env, healthy, make_accounts, prepare_space, run, sign_in

DEMO_SPACE = "living-with-cancer"
DEMO_TOPIC = "Tips for the first weeks of chemotherapy"
SEARCH_WORDS = ["chemotherapy", "tired", "nurse", "appetite", "walking", "sleep", "hair", "family",
                "ginger", "appointment", "scan", "radiotherapy", "fatigue", "support", "worry", "garden"]


def proc_status(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_files(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def lua_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_plan(path, topic, post_topics, cookies, staff_tokens, member_tokens):
    """The mix, one entry per request in turn (twenty in a round)."""
    entries = []

    def add(method, url, headers=None, body=None):
        entries.append((method, url, headers or {}, body))

    for i in range(4):
        add("GET", f"/t/{topic}")                                   # guest, cached
    for i in range(2):
        add("GET", "/")                                             # guest, cached
    for i in range(3):
        add("GET", f"/search?q={SEARCH_WORDS[i * 5 % len(SEARCH_WORDS)]}+{SEARCH_WORDS[i]}")
    for i in range(4):
        add("GET", f"/t/{topic}", {"Cookie": cookies[i % len(cookies)]})   # signed in, rendered
    add("GET", "/", {"Cookie": cookies[0]})
    add("GET", "/notifications", {"Cookie": cookies[1 % len(cookies)]})
    add("GET", f"/api/topics/{topic}")
    body = '{"body": "Load note %s: a short reply while the site is busy, with thanks to everyone."}'
    for i, token in enumerate(staff_tokens[:2] + member_tokens[:2]):
        add("POST", f"/api/topics/{post_topics[i % len(post_topics)]}/posts",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body)
    with open(path, "w") as f:
        f.write("return {\n")
        for method, url, headers, body in entries:
            h = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
            b = f", body = {lua_string(body)}" if body else ""
            f.write(f"  {{method = {lua_string(method)}, path = {lua_string(url)}, headers = {{{h}}}{b}}},\n")
        f.write("}\n")
    return len(entries)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--database-url")
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=30, help="seconds of load")
    ap.add_argument("--report")
    a = ap.parse_args()
    if not (1 <= a.connections <= 60000) or a.duration < 1 or a.threads < 1:
        ap.error("--connections from 1 to 60000, --duration and --threads at least 1")
    here = os.path.dirname(os.path.abspath(__file__))

    port = free_port()
    env, _ = site_env(a.work, port, a.database_url)
    print("== hearth demo, accounts", file=sys.stderr)
    run([a.bin, "demo"], env)
    admin, people = make_accounts(a.bin, env, ["member"] * 4 + ["staff"] * 4)
    log_path = os.path.join(a.work, "hearth.log")
    log = open(log_path, "wb")
    server = subprocess.Popen(["taskset", "-c", "0", a.bin, "serve"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(600):
            if healthy(port):
                break
            if server.poll() is not None:
                raise SystemExit(f"hearth exited with {server.returncode}; see {log_path}")
            time.sleep(0.1)
        post_topics = prepare_space(port, sign_in(port, *admin)[1], "overload", 4)
        sessions = [sign_in(port, *p) for p in people]
        cookies = [c for c, _ in sessions]
        member_tokens = [t for _, t in sessions[:4]]
        staff_tokens = [t for _, t in sessions[4:]]
        api = Api(port)
        status, _, listing = api.call("GET", f"/api/spaces/{DEMO_SPACE}/topics")
        topic = next(t["id"] for t in listing["topics"] if t["title"] == DEMO_TOPIC)
        status, _, _ = api.call("GET", f"/t/{topic}")
        api.close()
        rss_idle = proc_status(server.pid, "VmRSS")
        plan = os.path.join(a.work, "plan.lua")
        mix = write_plan(plan, topic, post_topics, cookies, staff_tokens, member_tokens)

        samples, files = [], []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(proc_status(server.pid, "VmRSS"))
                files.append(open_files(server.pid))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = os.path.join(a.work, "wrk.json")
        wrk_env = dict(os.environ, OVERLOAD_PLAN=plan, OVERLOAD_OUT=out)
        print(f"== wrk: {a.connections} connections, {a.duration} s, a mix of {mix} requests in turn",
              file=sys.stderr)
        started = time.monotonic()
        w = subprocess.run(["taskset", "-c", "1", "wrk", f"-t{a.threads}", f"-c{a.connections}", f"-d{a.duration}s",
                            "--timeout", "10s", "-s", os.path.join(here, "overload.lua"), f"http://127.0.0.1:{port}"],
                           env=wrk_env, capture_output=True, text=True)
        wall = time.monotonic() - started
        stop.set()
        sampler.join()
        if w.returncode != 0 or not os.path.exists(out):
            raise SystemExit(f"wrk failed:\n{w.stdout}{w.stderr}")
        result = json.load(open(out))

        alive = server.poll() is None
        after = {}
        if alive:
            check = Api(port)
            for name, path, headers in [("healthz", "/healthz", {}), ("guest topic", f"/t/{topic}", {}),
                                        ("signed-in topic", f"/t/{topic}", {"Cookie": cookies[0]})]:
                try:
                    after[name] = check.call("GET", path, headers=headers)[0]
                except OSError as e:
                    after[name] = str(e)
            check.close()
        rss_peak = proc_status(server.pid, "VmHWM")
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
    log_text = open(log_path, errors="replace").read()
    panics = log_text.count("panicked")

    statuses = {int(k): v for k, v in result["statuses"].items()}
    bad = {s: c for s, c in statuses.items() if s >= 500 and s != 503}
    sock_errors = {k: v for k, v in result["errors"].items() if k != "status" and v}
    problems = []
    problems += [f"5xx other than 503: {bad}"] if bad else []
    problems += [f"{result['no_retry_after']} answers 503/429 without Retry-After"] if result["no_retry_after"] else []
    problems += [f"socket errors: {sock_errors}"] if sock_errors else []
    problems += ["the server is not running after the load"] if not alive else []
    problems += [f"after the load: {after}"] if alive and any(v != 200 for v in after.values()) else []
    problems += [f"{panics} panics in the log"] if panics else []
    seconds = result["duration_us"] / 1e6
    outcome = {
        "database": "postgresql" if a.database_url else "sqlite",
        "connections": a.connections,
        "threads": a.threads,
        "duration_s": round(seconds, 1),
        "requests": result["requests"],
        "requests_per_s": round(result["requests"] / seconds),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "shed_503_share": round(statuses.get(503, 0) / max(1, result["requests"]), 3),
        "no_retry_after": result["no_retry_after"],
        "socket_errors": result["errors"],
        "latency_ms": result["latency_ms"],
        "rss_idle_mib": round(rss_idle / 1024, 1),
        "rss_peak_mib": round(max([rss_peak] + samples) / 1024, 1),
        "open_files_peak": max(files or [0]),
        "server_alive": alive,
        "after_load": after,
        "panics": panics,
        "problems": problems,
        "wall_s": round(wall, 1),
    }
    conclude(outcome, a.report, f"{result['requests']} requests at {a.connections} connections, "
                                f"{statuses.get(503, 0)} shed with 503, no other 5xx")


if __name__ == "__main__":
    main()
