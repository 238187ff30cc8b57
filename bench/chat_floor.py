"""The kernel's part of a chat fan-out, with no Hearth in it (run by bench/chat.sh).

    taskset -c 0 python3 bench/chat_floor.py CONNECTIONS ROUNDS RATE READER_CPU

Opens CONNECTIONS loopback TCP connections to a reader (a child process on
READER_CPU that reads everything with epoll), then writes one 400-byte
message (about a chat frame) to each in turn, ROUNDS times, at most RATE
rounds a second. Prints JSON: the writer's system and user CPU time per write.

On loopback the writer's system call also does the receiving side's work
(the packet is delivered into the reader's socket within it), which a
server talking to other machines would not pay.
"""

import json
import os
import select
import socket
import sys
import time


def read_all(listener, count, cpu):
    os.sched_setaffinity(0, {cpu})
    poll = select.epoll()
    conns = {}
    while len(conns) < count:
        conn, _ = listener.accept()
        conn.setblocking(False)
        conns[conn.fileno()] = conn
        poll.register(conn.fileno(), select.EPOLLIN)
    while conns:
        for fd, _ in poll.poll():
            try:
                data = conns[fd].recv(65536)
            except BlockingIOError:
                continue
            if not data:
                poll.unregister(fd)
                conns.pop(fd).close()


def main():
    count, rounds = int(sys.argv[1]), int(sys.argv[2])
    rate, reader_cpu = float(sys.argv[3]), int(sys.argv[4])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    child = os.fork()
    if child == 0:
        try:
            read_all(listener, count, reader_cpu)
        finally:
            os._exit(0)
    listener.close()
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    time.sleep(1)
    message = b"x" * 400
    before, started = os.times(), time.monotonic()
    for r in range(rounds):
        for s in socks:
            s.send(message)
        # The next round no earlier than 1/RATE after this one began.
        wait = started + (r + 1) / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    after, elapsed = os.times(), time.monotonic() - started
    for s in socks:
        s.close()
    os.waitpid(child, 0)
    writes = count * rounds
    print(json.dumps({
        "connections": count,
        "writes": writes,
        "seconds": round(elapsed, 2),
        "system_us_per_write": round(1e6 * (after.system - before.system) / writes, 2),
        "user_us_per_write": round(1e6 * (after.user - before.user) / writes, 2),
    }))


if __name__ == "__main__":
    main()
