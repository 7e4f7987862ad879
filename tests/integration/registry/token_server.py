#!/usr/bin/python3
"""A tiny Docker token service for the registry tests (loopback only).

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...][&account=U] with HTTP Basic
credentials answers {"token": JWT} signed RS256 with KEY, its certificate in the x5c header, as
docker-registry's `auth: token:` expects (issuer ISSUER, audience SERVICE). Without credentials
the token grants nothing; wrong credentials get 401. Every request is logged as one line to LOG:
"auth=<user|anonymous|bad> service=<s> scope=<s> scope=<s>".

usage: token_server.py PORT KEY CERT ISSUER USER:PASSWORD LOG
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, KEY, CERT, ISSUER, USERPASS, LOG = sys.argv[1:7]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())


def sign(payload):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_der_b64()]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"error": "not found"})
            return
        q = urllib.parse.parse_qs(url.query)
        service = q.get("service", [""])[0]
        scopes = q.get("scope", [])
        who = "anonymous"
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            given = base64.b64decode(auth[6:]).decode()
            who = given.split(":", 1)[0] if given == USERPASS else "bad"
        with open(LOG, "a") as log:
            log.write("auth=%s service=%s %s\n" % (who, service, " ".join("scope=" + s for s in scopes)))
        if who == "bad":
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                       [("WWW-Authenticate", 'Basic realm="berth-test-token"')])
            return
        access = []
        if who != "anonymous":
            for s in scopes:
                parts = s.split(":")
                if len(parts) >= 3:
                    access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")})
        now = int(time.time())
        token = sign({"iss": ISSUER, "sub": "" if who == "anonymous" else who, "aud": service, "exp": now + 300,
                      "nbf": now - 10, "iat": now, "jti": b64url(os.urandom(12)), "access": access})
        self.reply(200, {"token": token, "expires_in": 300})


ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
