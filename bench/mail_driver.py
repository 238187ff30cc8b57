"""Drives bench/mail.sh: a real SMTP server (aiosmtpd) on loopback that counts
what arrives, N subscribers who confirm through the links in their mails,
then one news alert to all of them, timed until the last copy arrives.

Usage: python3 mail_driver.py HEARTH_URL SMTP_PORT SUBSCRIBERS STAFF_EMAIL STAFF_PASSWORD HEARTH_PID [DELAY_MS]

With DELAY_MS, the server answers the end of each message that much later, as a
relay that writes its queue to disk or scans the mail before it says 250 would.

While the alert goes out, the CPU time used by Hearth (from /proc/HEARTH_PID/stat)
and by this process (mostly the SMTP server) is counted, to tell which of the two
is the limit.
"""

import asyncio
import http.cookiejar
import json
import os
import re
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

ALERT_SUBJECT = "Bench alert"
ALERT_SUBJECT_LINE = ("\r\nSubject: %s\r\n" % ALERT_SUBJECT).encode()


class Count:
    def __init__(self, delay):
        self.delay = delay
        self.lock = threading.Lock()
        self.confirm_links = []
        self.alerts = 0
        self.last_alert_at = None
        self.first_alert_at = None

    async def handle_DATA(self, server, session, envelope):
        # Alerts are counted from their Subject line alone: parsing the whole
        # message with the email package took 3.4 ms, more than Hearth spends
        # on a mail, and made this server the limit of the benchmark.
        head = b"\r\n" + envelope.original_content.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        is_alert = ALERT_SUBJECT_LINE in head
        now = time.monotonic()
        with self.lock:
            if is_alert:
                self.alerts += 1
                self.first_alert_at = self.first_alert_at or now
                self.last_alert_at = now
            else:
                message = message_from_bytes(envelope.original_content, policy=policy.default)
                text = message.get_body(preferencelist=("plain",)).get_content()
                link = re.search(r"https?://\S+/alerts/confirm/\S+", text)
                if link:
                    self.confirm_links.append(link.group(0))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"


def request(url, body=None, token=None, opener=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    open_ = opener.open if opener else urllib.request.urlopen
    with open_(req, timeout=60) as r:
        raw = r.read()
        return r.status, (json.loads(raw) if raw and r.headers.get_content_type().endswith("json") else None)


def cpu_seconds(pid):
    """User and system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait(what, check, timeout):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            sys.exit("timed out waiting for " + what)
        time.sleep(0.05)


def main():
    base, port, n, staff_email, staff_password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    hearth_pid = int(sys.argv[6])
    delay_ms = float(sys.argv[7]) if len(sys.argv) > 7 else 0
    count = Count(delay_ms / 1000)
    sink = Controller(count, hostname="127.0.0.1", port=port)
    sink.start()
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: request(base + "/api/alerts/subscribe", {"email": "reader%05d@bench.example.org" % i}), range(n)))
        print("subscribed %d in %.1f s" % (n, time.monotonic() - started), file=sys.stderr)
        wait("the confirmation mails", lambda: len(count.confirm_links) >= n, 600)
        confirmations = time.monotonic() - started
        print("%d confirmation mails arrived %.1f s after the first request" % (n, confirmations), file=sys.stderr)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda url: urllib.request.urlopen(url, timeout=60).read(), count.confirm_links))

        jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        request(base + "/api/session", {"email": staff_email, "password": staff_password}, opener=jar)
        _, made = request(base + "/api/tokens", {"name": "bench"}, opener=jar)
        token = made["token"]
        _, listed = request(base + "/api/alerts", token=token)
        if listed["subscribers"] != n:
            sys.exit("expected %d confirmed subscribers, found %s" % (n, listed["subscribers"]))

        print("sending the alert to %d subscribers" % n, file=sys.stderr)
        hearth_cpu, own_cpu = cpu_seconds(hearth_pid), time.process_time()
        sent_at = time.monotonic()
        status, _ = request(base + "/api/alerts", {"subject": ALERT_SUBJECT, "body": "**Hello** from the mail benchmark."}, token=token)
        answered = time.monotonic() - sent_at
        wait("the alert mails", lambda: count.alerts >= n, 1800)
        took = count.last_alert_at - sent_at
        hearth_cpu, own_cpu = cpu_seconds(hearth_pid) - hearth_cpu, time.process_time() - own_cpu
        _, listed = request(base + "/api/alerts", token=token)
        print(json.dumps({
            "subscribers": n,
            "send_request_ms": round(answered * 1000, 1),
            "first_alert_after_ms": round((count.first_alert_at - sent_at) * 1000, 1),
            "all_alerts_after_s": round(took, 2),
            "alert_messages_per_second": round(n / took, 1),
            "confirmation_messages_per_second": round(n / confirmations, 1),
            "counted_sent": listed["alerts"][0]["sent"],
            "hearth_cpu_ms_per_message": round(hearth_cpu * 1000 / n, 3),
            "smtp_server_cpu_ms_per_message": round(own_cpu * 1000 / n, 3),
        }))
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
