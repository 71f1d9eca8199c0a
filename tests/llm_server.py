#!/usr/bin/env python3
"""llm_server.py -- a loopback OpenAI-compatible chat-completions server for the LLM tests.

It speaks POST /v1/chat/completions and replays scripted steps, one per request, so a test
can drive the client through every reply a real endpoint can give: good replies, HTTP errors
with Retry-After, invalid or unexpected JSON, huge bodies, stalls and dropped connections.
Standard library only. It binds 127.0.0.1 on a free port (or --port), prints "PORT <n>" on
stdout, and exits by itself after --lifetime seconds.

Script (--script FILE, JSON):
  {"steps": [STEP, ...]}                      one step per request, in order
  {"roles": {"planner": [...], "executor": [...], "repair": [...], "summarizer": [...],
             "other": [...]}}                 a queue per prompt role (found from the
                                              "## Role: NAME" line of the user message);
                                              the last step of a queue repeats
More steps can be appended at run time: POST /control/steps with a JSON list.
GET /control/stats returns request counts.

STEP:
  {"reply": TEXT [, "usage": [IN, OUT]] [, "no_usage": true] [, "delay": SECONDS]}
                                                                a normal completion
  {"status": CODE [, "headers": {...}] [, "body": TEXT]}        an HTTP error
  {"raw": TEXT}                                                 200 with this body
  {"empty_choices": true}                                       200, "choices": []
  {"no_content": true}                                          200, content null
  {"huge": BYTES}                                               200, a body of that size
  {"stall": SECONDS}                                            sleep, then close
  {"drop": true}                                                close without a reply
  {"echo_auth": true}                                           400 echoing the
                                                                Authorization header (the
                                                                client must scrub the key)
      [, "code": 200]                                           ... as a completion's text
      [, "prefix": N]                                           ... only its first N chars
      [, "escape": true]                                        ... every char \\u-escaped
  STEP "usage_raw": TEXT (with "reply")                         the usage value as raw JSON
                                                                text (-1, "12", 1e308, NaN)

Script-level "stats_file": PATH: the request counts are written there (atomically) after
each chat request is received, so a test can count requests after it killed the client.

With --log FILE every request body is appended to FILE (what a model would be sent).
With --key-env NAME, requests must carry "Authorization: Bearer $NAME" or get 401. The key
is never printed or logged.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE_RE = re.compile(r"^## Role: (\w+)", re.M)


class Script:
    def __init__(self, data):
        self.lock = threading.Lock()
        self.steps = list(data.get("steps", []))
        self.roles = {k: list(v) for k, v in data.get("roles", {}).items()}
        self.stats = {"requests": 0, "by_role": {}, "auth_failures": 0}
        self.stats_file = data.get("stats_file")

    def next(self, role):
        with self.lock:
            self.stats["requests"] += 1
            self.stats["by_role"][role] = self.stats["by_role"].get(role, 0) + 1
            if self.stats_file:
                tmp = self.stats_file + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(self.stats, f)
                os.replace(tmp, self.stats_file)
            q = self.roles.get(role)
            if q:
                return q.pop(0) if len(q) > 1 else q[0]
            if self.steps:
                return self.steps.pop(0)
            return None


def completion(content, model, usage=None, no_usage=False):
    body = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
    }
    if not no_usage:
        pin, pout = usage if usage else (100, max(1, len(content) // 4))
        body["usage"] = {"prompt_tokens": pin, "completion_tokens": pout,
                         "total_tokens": pin + pout}
    return body


def make_handler(script, key, log=None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, fmt, *args):  # quiet: and never log headers
            pass

        def send_json(self, code, obj, headers=None):
            data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            self.end_headers()
            self.wfile.write(data)

        def read_body(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            return self.rfile.read(n) if n else b""

        def do_GET(self):
            if self.path == "/control/stats":
                with script.lock:
                    self.send_json(200, dict(script.stats))
            else:
                self.send_json(404, {"error": {"message": "no such path " + self.path}})

        def do_POST(self):
            raw = self.read_body()
            if log:
                with open(log, "ab") as f:
                    f.write(raw + b"\n")
            if self.path == "/control/steps":
                with script.lock:
                    script.steps.extend(json.loads(raw or b"[]"))
                self.send_json(200, {"ok": True})
                return
            if not self.path.endswith("/chat/completions"):
                self.send_json(404, {"error": {"message": "unknown path " + self.path}})
                return
            auth = self.headers.get("Authorization", "")
            if key is not None and auth != "Bearer " + key:
                with script.lock:
                    script.stats["auth_failures"] += 1
                self.send_json(401, {"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error"}})
                return
            try:
                req = json.loads(raw)
                text = req["messages"][-1]["content"]
                model = req.get("model", "?")
            except (ValueError, KeyError, IndexError, TypeError):
                self.send_json(400, {"error": {"message": "malformed request"}})
                return
            m = ROLE_RE.search(text)
            step = script.next(m.group(1) if m else "other")
            self.play(step, model, auth)

        def play(self, step, model, auth):
            if step is None:
                self.send_json(503, {"error": {"message": "loopback script exhausted"}})
            elif "reply" in step and "usage_raw" in step:
                time.sleep(float(step.get("delay", 0)))
                body = completion(step["reply"], model)
                body["usage"] = "@USAGE@"
                text = json.dumps(body).replace('"@USAGE@"', step["usage_raw"])
                self.send_json(200, text.encode())
            elif "reply" in step:
                time.sleep(float(step.get("delay", 0)))
                self.send_json(200, completion(step["reply"], model, step.get("usage"),
                                               step.get("no_usage", False)))
            elif "status" in step:
                body = step.get("body", json.dumps({"error": {"message": "scripted error"}}))
                self.send_json(step["status"], body.encode(), step.get("headers"))
            elif "raw" in step:
                self.send_json(200, step["raw"].encode())
            elif step.get("empty_choices"):
                body = completion("", model)
                body["choices"] = []
                self.send_json(200, body)
            elif step.get("no_content"):
                body = completion("", model)
                body["choices"][0]["message"]["content"] = None
                body["choices"][0]["finish_reason"] = "length"
                self.send_json(200, body)
            elif "huge" in step:
                self.send_json(200, completion("x" * int(step["huge"]), model))
            elif "stall" in step:
                time.sleep(float(step["stall"]))
                self.close_connection = True
            elif step.get("drop"):
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
            elif step.get("echo_auth"):
                echo = auth[:int(step["prefix"])] if "prefix" in step else auth
                if step.get("escape"):
                    # Every character \u-escaped: only a scrub after decoding can see it.
                    text = "".join("\\u%04x" % ord(ch) for ch in echo)
                    code = int(step.get("code", 400))
                    if code == 200:
                        raw = ('{"choices": [{"index": 0, "message": {"role": "assistant", '
                               '"content": "you sent %s"}, "finish_reason": "stop"}]}' % text)
                    else:
                        raw = '{"error": {"message": "bad request; you sent %s"}}' % text
                    self.send_json(code, raw.encode())
                elif int(step.get("code", 400)) == 200:
                    self.send_json(200, completion("Here is what you sent: " + echo, model))
                else:
                    self.send_json(int(step.get("code", 400)),
                                   {"error": {"message": "bad request; you sent " + echo}})
            else:
                self.send_json(500, {"error": {"message": "unknown step"}})

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or hang up are part of the script


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", help="JSON script file")
    ap.add_argument("--lifetime", type=float, default=120.0)
    ap.add_argument("--key-env", help="environment variable holding the expected key")
    ap.add_argument("--port", type=int, default=0, help="port to bind (0 = a free one)")
    ap.add_argument("--log", help="append every request body (headers left out) to this file")
    args = ap.parse_args()
    data = {}
    if args.script:
        with open(args.script) as f:
            data = json.load(f)
    key = os.environ.get(args.key_env) if args.key_env else None
    server = QuietServer(("127.0.0.1", args.port), make_handler(Script(data), key, args.log))
    print("PORT %d" % server.server_address[1], flush=True)

    def stop():
        time.sleep(args.lifetime)
        server.shutdown()
        os._exit(0)  # stalled handler threads must not keep the process alive

    threading.Thread(target=stop, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
