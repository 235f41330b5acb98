#!/usr/bin/env python3
"""House-style checks that a reviewer would otherwise do by hand (STYLE.md):

1. no typedef'd structs anywhere in our C;
2. data-plane functions at most 60 lines, except the worker loop and the
   per-burst stage functions (named *_burst / *_loop);
3. nothing that allocates or creates crypto contexts on the packet path
   (dp_input.c, dp_data.c, dp_worker.c, dp_local.c);
4. only main() exits: no exit()/abort()/rte_exit()/rte_panic() outside the
   three main.c files and test/bench code.

Prints one line per finding and a closing "N passed, N failed" line.
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SRC_DIRS = ["lib", "config", "dataplane", "controlplane", "ctl"]
PACKET_PATH = ["dataplane/dp_input.c", "dataplane/dp_data.c", "dataplane/dp_worker.c",
               "dataplane/dp_local.c"]
FORBIDDEN_PACKET = re.compile(r"\b(malloc|calloc|realloc|rte_malloc|rte_zmalloc|"
                              r"EVP_\w+_new|EVP_\w+_fetch|printf|SL_(ERR|WARN|INFO|DEBUG))\s*\(")
EXITS = re.compile(r"\b(exit|_exit|abort|rte_exit|rte_panic)\s*\(")
MAX_FN = 60


def c_files(d):
    for dirpath, _, names in os.walk(os.path.join(ROOT, d)):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                yield os.path.join(dirpath, n)


def rel(p):
    return os.path.relpath(p, ROOT)


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def functions(text):
    """(name, first line, length) of each function: '{' alone at column 0 to '}' alone."""
    lines = text.split("\n")
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if line == "{" and i > 0:
            start = i
            m = None
            for j in range(i - 1, max(i - 6, -1), -1):
                m = re.search(r"(\w+)\s*\(", lines[j])
                if m:
                    break
            name = m.group(1) if m else "?"
        elif line == "}" and start is not None:
            out.append((name, start + 1, i - start - 1))
            start = None
    return out


def main():
    findings = []
    checks = 0
    for d in SRC_DIRS:
        for path in c_files(d):
            text = strip_comments(open(path, encoding="utf-8").read())
            r = rel(path)
            checks += 1
            if re.search(r"typedef\s+struct", text):
                findings.append(f"{r}: typedef'd struct")
            if r.startswith("dataplane/"):
                for name, line, n in functions(text):
                    if n > MAX_FN and not name.endswith(("_burst", "_loop")):
                        findings.append(f"{r}:{line}: {name}() is {n} lines (max {MAX_FN})")
            if r in PACKET_PATH:
                for i, line in enumerate(text.split("\n"), 1):
                    if FORBIDDEN_PACKET.search(line):
                        findings.append(f"{r}:{i}: not on the packet path: {line.strip()}")
            if not r.endswith("/main.c") and not r.startswith("ctl/"):
                for i, line in enumerate(text.split("\n"), 1):
                    if EXITS.search(line):
                        findings.append(f"{r}:{i}: only main() exits: {line.strip()}")
    for f in findings:
        print(f)
    print(f"style: {checks} files checked")
    print(f"{1 if not findings else 0} passed, {1 if findings else 0} failed")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
