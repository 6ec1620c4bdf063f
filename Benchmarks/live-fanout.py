#!/usr/bin/env python3
"""/api/live fan-out (issue 14): what each connected client costs the server.

Starts `orbita serve` on a fresh database, then for each client count N: opens N WebSocket clients that read as fast
as they can (raw sockets, one process, counting the position messages each receives), one checking client that
parses every frame (no cursor twice, none out of order), and STALLED clients that never read; measures the server's
CPU with the clients idle, then while `orbita simulate` sends VEHICLES × RATE fixes/s; meanwhile times /health every
0.2 s. Prints one line per N and the cost of an extra client. Server CPU is read from /proc (the sender and these
clients share the machine, so wall-clock rates are not the measure).

usage: live-fanout.py ORBITA [--clients 0,250,500,1000] [--vehicles 1000] [--rate 1] [--seconds 15] [--stalled 20]
Each phase stays under the server's 30 s WebSocket ping (these clients do not answer pings).
"""
import argparse
import base64
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")
PATTERN = b'"type":"position"'


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def handshake(host, port, token):
    sock = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /api/live HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("closed during the upgrade")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head.split(b"\r\n")[0].decode())
    sock.setblocking(False)
    return sock, rest


class Counter:
    """A fast reader: counts position messages in the byte stream (the pattern cannot straddle the kept tail)."""

    def __init__(self, sock, rest):
        self.sock = sock
        self.tail = b""
        self.positions = 0
        self.closed = False
        self.feed(rest)

    def feed(self, data):
        data = self.tail + data
        self.positions += data.count(PATTERN)
        self.tail = data[-(len(PATTERN) - 1) :]


class Checker(Counter):
    """Parses every frame: cursors must only grow (nothing twice, nothing out of order)."""

    def __init__(self, sock, rest):
        self.buffer = b""
        self.last = (-1, -1)
        self.problems = 0
        self.frames = 0
        super().__init__(sock, rest)

    def feed(self, data):
        self.buffer += data
        while len(self.buffer) >= 2:
            length = self.buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(self.buffer) < 4:
                    return
                length = int.from_bytes(self.buffer[2:4], "big")
                start = 4
            elif length == 127:
                length = int.from_bytes(self.buffer[2:10], "big")
                start = 10
            if len(self.buffer) < start + length:
                return
            opcode = self.buffer[0] & 0x0F
            payload = self.buffer[start : start + length]
            self.buffer = self.buffer[start + length :]
            if opcode != 1:
                continue
            self.frames += 1
            message = json.loads(payload)
            if message["type"] == "position":
                self.positions += 1
            if message["type"] in ("position", "event"):
                fix, event = map(int, message["cursor"].split(":"))
                if fix < self.last[0] or event < self.last[1] or (fix, event) == self.last:
                    self.problems += 1
                self.last = (fix, event)


def health_timer(http, stop, times):
    """Times /health with curl (its own process: this one's readers would otherwise delay the timing)."""
    while not stop.is_set():
        done = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-m", "30", "-w", "%{time_total} %{http_code}", f"http://{http}/health"],
            capture_output=True,
            text=True,
        )
        seconds, code = (done.stdout.split() + ["0", "000"])[:2]
        times.append(float(seconds) if code == "200" else float("inf"))
        stop.wait(0.2)


def pump(selector, until):
    while time.monotonic() < until:
        for key, _ in selector.select(timeout=0.05):
            reader = key.data
            try:
                chunk = reader.sock.recv(1 << 18)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                reader.closed = True
                selector.unregister(reader.sock)
                continue
            reader.feed(chunk)


def phase(args, server, http, udp, token, clients):
    host, port = http.rsplit(":", 1)
    port = int(port)
    selector = selectors.DefaultSelector()
    readers = []
    for _ in range(clients):
        reader = Counter(*handshake(host, port, token))
        readers.append(reader)
        selector.register(reader.sock, selectors.EVENT_READ, reader)
    checker = Checker(*handshake(host, port, token))
    selector.register(checker.sock, selectors.EVENT_READ, checker)
    stalled = []
    for _ in range(args.stalled):
        sock, _ = handshake(host, port, token)
        stalled.append(sock)
    pump(selector, time.monotonic() + 1.0)
    idle_began, idle_cpu = time.monotonic(), cpu_seconds(server.pid)
    pump(selector, time.monotonic() + 3.0)
    idle = (cpu_seconds(server.pid) - idle_cpu) / (time.monotonic() - idle_began)

    stop = threading.Event()
    times = []
    timer = threading.Thread(target=health_timer, args=(http, stop, times))
    sender = subprocess.Popen(
        [
            args.orbita, "simulate", "--to", f"udp://{udp}", "--vehicles", str(args.vehicles), "--rate",
            str(args.rate), "--duration", str(args.seconds), "--prefix", f"F{clients}-", "--quiet",
        ],
        stdout=subprocess.DEVNULL,
    )
    began = time.monotonic()
    pump(selector, began + 2.0)
    timer.start()
    load_began, load_cpu, positions_before = time.monotonic(), cpu_seconds(server.pid), checker.positions
    pump(selector, began + args.seconds - 1.0)
    load_seconds = time.monotonic() - load_began
    load = (cpu_seconds(server.pid) - load_cpu) / load_seconds
    rate = (checker.positions - positions_before) / load_seconds
    stop.set()
    timer.join()
    sender.wait()
    pump(selector, time.monotonic() + 3.0)
    counts = sorted(reader.positions for reader in readers)
    expected = args.vehicles * args.rate * args.seconds
    result = {
        "clients": clients,
        "stalled": args.stalled,
        "idle_cores": round(idle, 3),
        "load_cores": round(load, 3),
        "positions_per_s": round(rate),
        "checker_positions": checker.positions,
        "checker_problems": checker.problems,
        "sent_about": expected,
        "client_min": counts[0] if counts else None,
        "client_median": counts[len(counts) // 2] if counts else None,
        "clients_closed": sum(reader.closed for reader in readers),
        "health_p50_ms": round(statistics.median(times) * 1000, 1) if times else None,
        "health_max_ms": round(max(times) * 1000, 1) if times else None,
        "peak_rss_kb": int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{server.pid}/status").read()).group(1)),
    }
    for reader in readers + [checker]:
        reader.sock.close()
    for sock in stalled:
        sock.close()
    time.sleep(1.0)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("orbita")
    parser.add_argument("--clients", default="0,250,500,1000")
    parser.add_argument("--vehicles", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--stalled", type=int, default=20)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="orbita-live-")
    db = os.path.join(work, "live.sqlite")
    token = subprocess.run(
        [args.orbita, "token", "create", "--role", "viewer", "--db", db], capture_output=True, text=True, check=True
    ).stdout.strip()
    out = open(os.path.join(work, "serve.out"), "w+")
    server = subprocess.Popen(
        [
            args.orbita, "serve", "--db", db, "--udp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--register-unknown",
            "--log-level", "error",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        while True:
            out.seek(0)
            text = out.read()
            match = re.search(r"http=(\S+).*udp=(\S+)|udp=(\S+).*http=(\S+)", text)
            if match:
                http, udp = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
                break
            if server.poll() is not None:
                sys.exit("server exited: " + text)
            time.sleep(0.1)
        results = []
        for clients in map(int, args.clients.split(",")):
            result = phase(args, server, http, udp, token, clients)
            results.append(result)
            print(json.dumps(result), flush=True)
        base = results[0]
        for result in results[1:]:
            if result["clients"] > base["clients"]:
                extra = (result["load_cores"] - base["load_cores"]) / (result["clients"] - base["clients"])
                print(
                    f"clients={result['clients']}: {extra * 1e6:.0f} µs of server CPU per s per extra client at "
                    f"{result['positions_per_s']} positions/s ({extra * 1e6 / max(result['positions_per_s'], 1):.2f}"
                    " µs per message per client)"
                )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
