#!/usr/bin/env python3
"""The local registry inside a fleet host's network namespace, at the same address as on the centre.

    registry-bridge.py <netns file> <listen host:port> <target host:port>

Listens on <listen> *inside* the network namespace <netns file> (e.g. /run/netns/fleet-b) and
relays every connection to <target> in the namespace this process started in (the root one), so
`127.0.0.1:5000/testenv/...` pulls on a fleet host's dockerd reach the registry of the central
host unchanged: same image references and digests on every host, and dockerd trusts 127.0.0.0/8
registries over plain HTTP by default (no --insecure-registry). The listening socket is created
after setns(2) into the host's namespace; the thread then returns to the original namespace, so
every outgoing connection is made there. Plain TCP relay: nothing is parsed, logged or kept.
Exits on SIGTERM; prints one line when it listens (the parent waits for it).
"""
import ctypes
import os
import signal
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
CONNECT_TIMEOUT_S = 10
BUFFER = 65536


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def host_port(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("not host:port: " + text)
    return host, int(port)


def listen_in(netns_file, address):
    """A listening socket bound to address inside netns_file; this thread ends where it began."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(netns_file, os.O_RDONLY)
    try:
        setns(target)
        try:
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(address)
            srv.listen(64)
        finally:
            setns(own)
    finally:
        os.close(target)
        os.close(own)
    return srv


def pump(src, dst):
    try:
        while True:
            data = src.recv(BUFFER)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def relay(client, target):
    try:
        upstream = socket.create_connection(target, timeout=CONNECT_TIMEOUT_S)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    netns_file, listen, target = argv[1], host_port(argv[2]), host_port(argv[3])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv = listen_in(netns_file, listen)
    print("registry bridge: %s:%d in %s -> %s:%d" % (listen + (netns_file,) + target), flush=True)
    while True:
        client, _ = srv.accept()
        threading.Thread(target=relay, args=(client, target), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
