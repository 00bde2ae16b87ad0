#!/usr/bin/env python3
"""Test doubles for the outage tests, all on 127.0.0.1, bounded and self-stopping.

  fakes.py proxy PORT_FILE UPSTREAM_PORT CONTROL_FILE LIFETIME
      A TCP proxy to 127.0.0.1:UPSTREAM_PORT on a free port (written to PORT_FILE). CONTROL_FILE
      holds its mode, re-read every 100 ms: "up" forwards; "down" closes every connection and
      refuses new ones (a stopped server); "silent" keeps connections open and accepts new ones
      but forwards nothing (a server that stopped answering).
  fakes.py silent PORT_FILE LIFETIME
      Accepts TCP connections and never answers.
  fakes.py notify SOCKET_PATH OUT_FILE LIFETIME
      A NOTIFY_SOCKET: appends "<unix time> <datagram with newlines as |>" per datagram.
"""
import os, select, socket, sys, time


def free_listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def write_port(path, s):
    with open(path + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(path + ".tmp", path)


def mode_of(path):
    try:
        with open(path) as f:
            return f.read().strip() or "up"
    except OSError:
        return "up"


def proxy(port_file, upstream, control, lifetime):
    end = time.time() + lifetime
    listener = free_listener()
    port = listener.getsockname()[1]
    write_port(port_file, listener)
    pairs = {}  # socket -> peer
    while time.time() < end:
        mode = mode_of(control)
        if mode == "down":
            for s in list(pairs):
                s.close()
            pairs.clear()
            if listener is not None:
                listener.close()
                listener = None
        elif listener is None:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(64)
        watch = list(pairs) + ([listener] if listener is not None else [])
        readable = select.select(watch, [], [], 0.1)[0] if watch else (time.sleep(0.1) or [])
        for s in readable:
            if s is listener:
                client, _ = listener.accept()
                try:
                    server = socket.create_connection(("127.0.0.1", upstream))
                except OSError:
                    client.close()
                    continue
                pairs[client], pairs[server] = server, client
                continue
            if mode == "silent" or s not in pairs:
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            peer = pairs.get(s)
            if not data:
                for x in (s, peer):
                    pairs.pop(x, None)
                    x.close()
                continue
            try:
                peer.sendall(data)
            except OSError:
                pass


def silent(port_file, lifetime):
    end = time.time() + lifetime
    listener = free_listener()
    write_port(port_file, listener)
    held = []
    while time.time() < end:
        if select.select([listener], [], [], 0.2)[0]:
            held.append(listener.accept()[0])


def notify(path, out, lifetime):
    end = time.time() + lifetime
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, "a", buffering=1) as f:
        while time.time() < end:
            if select.select([s], [], [], 0.2)[0]:
                data = s.recv(4096).decode(errors="replace").replace("\n", "|")
                f.write(f"{time.time():.3f} {data}\n")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "proxy":
        proxy(args[0], int(args[1]), args[2], float(args[3]))
    elif cmd == "silent":
        silent(args[0], float(args[1]))
    elif cmd == "notify":
        notify(args[0], args[1], float(args[2]))
    else:
        sys.exit(f"unknown command {cmd}")
