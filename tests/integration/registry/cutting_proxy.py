#!/usr/bin/python3
"""An HTTP proxy in front of a registry (loopback only) that interrupts blob downloads.

Every request is forwarded to UPSTREAM and logged to LOG as "METHOD PATH range=<Range or ->".
A GET of a blob larger than 64 KiB consults MODE_FILE:
  pass          forward it whole
  cut           send the headers and half the body, then drop the connection; mode becomes pass
  cut-refuse    like cut, but the mode becomes refuse
  refuse        answer 503
usage: cutting_proxy.py PORT UPSTREAM_HOST:PORT MODE_FILE LOG
"""
import http.client
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, MODE_FILE, LOG = sys.argv[1:5]
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
lock = threading.Lock()


def take_mode():
    with lock:
        try:
            mode = open(MODE_FILE).read().strip()
        except FileNotFoundError:
            mode = "pass"
        after = {"cut": "pass", "cut-refuse": "refuse"}.get(mode)
        if after:
            open(MODE_FILE, "w").write(after + "\n")
        return mode


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        with lock, open(LOG, "a") as log:
            log.write("%s %s range=%s\n" % (self.command, self.path, self.headers.get("Range", "-")))
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        up = http.client.HTTPConnection(UPSTREAM, timeout=30)
        up.request(self.command, self.path, body=body, headers=headers)
        res = up.getresponse()
        data = res.read() if self.command != "HEAD" else b""
        mode = "pass"
        if self.command == "GET" and "/blobs/sha256:" in self.path and res.status in (200, 206) and len(data) > 65536:
            mode = take_mode()
        if mode == "refuse":
            msg = b'{"errors":[{"code":"UNAVAILABLE","message":"refused by the test proxy"}]}'
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        self.send_response(res.status)
        for k, v in res.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", res.getheader("Content-Length", str(len(data))))
        self.end_headers()
        if mode in ("cut", "cut-refuse"):
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
