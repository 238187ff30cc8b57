"""Helpers the Python benchmark drivers share: a small JSON API client, the
`hearth` command line, and a site made ready for load (accounts with tokens,
a space with topics, posting limits raised as far as an admin may).
Standard library only."""

import http.client
import json
import os
import socket
import subprocess
import sys


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


def prepare_space(port, admin_token, slug, topics):
    """Raises the posting limits as far as an admin may (120 a minute, no
    new-member limits), makes a public space moderated after posting, and
    starts `topics` topics in it. Returns the topic ids."""
    admin = Api(port, admin_token)
    status, _, safety = admin.call("GET", "/api/admin/safety")
    if status != 200:
        raise SystemExit(f"safety settings: {status} {safety}")
    safety.update(posts_per_minute=120, new_member_posts_per_minute=120, new_member_posts=0)
    status, _, body = admin.call("PUT", "/api/admin/safety", safety)
    if status != 204:
        raise SystemExit(f"safety settings: {status} {body}")
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
