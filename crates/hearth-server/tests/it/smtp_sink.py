"""A real SMTP server on loopback for the integration tests.

Usage: python3 smtp_sink.py PORT DIR

Listens on 127.0.0.1:PORT with aiosmtpd and writes each message it accepts
to DIR/NNNNN.json: the envelope, the headers and the plain-text and HTML
parts as a mail reader would find them. Addresses starting with "refused"
are rejected for good (550), as a server rejects an unknown mailbox. Prints "ready" once it listens, and
stops when its standard input closes (or it is killed).
"""

import email
import json
import os
import sys
import threading
from email import policy

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, as real servers answer it.
        if address.startswith("refused"):
            return "550 5.1.1 <%s>: Recipient address rejected: no such mailbox" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)

        def body(kind):
            part = message.get_body(preferencelist=(kind,))
            return None if part is None else part.get_content()

        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "content_type": message.get_content_type(),
            "headers": [[name, str(value)] for name, value in message.items()],
            "text": body("plain"),
            "html": body("html"),
        }
        with self.lock:
            self.count += 1
            name = os.path.join(self.directory, "%05d" % self.count)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        # Renamed when complete, so the test never reads half a message.
        os.rename(name + ".tmp", name + ".json")
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Keep(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
