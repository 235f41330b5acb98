#!/usr/bin/env python3
"""House-style checks that a reviewer would otherwise do by hand:

1. no typedef'd structs anywhere in our C;
2. data-plane functions at most 60 lines, except the worker loop and the
   per-burst stage functions (named *_burst / *_loop);
3. nothing that allocates or creates crypto contexts on the packet path
   (dp_input.c, dp_data.c, dp_worker.c, dp_local.c);
4. only main() exits: no exit()/abort()/rte_exit()/rte_panic() outside the
   three main.c files and test/bench code;
5. the repository stands alone: code, comments, scripts, build files and
   docs cite OpenVPN's own source files, RFCs or this repository's files,
   never section-sign citations of notes kept elsewhere, never a Markdown
   file that is not in the repository, never a path outside it, and never
   issue numbers or "the ... issue" wording (the tracker is not the code).

Prints one line per finding and a closing "N passed, N failed" line.
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SRC_DIRS = ["lib", "config", "dataplane", "controlplane", "ctl"]
PACKET_PATH = ["dataplane/dp_input.c", "dataplane/dp_decrypt.c", "dataplane/dp_route.c",
               "dataplane/dp_encrypt.c", "dataplane/dp_outer.h", "dataplane/dp_cp.c",
               "dataplane/dp_mss.c", "dataplane/dp_worker.c", "dataplane/dp_local.c"]
FORBIDDEN_PACKET = re.compile(r"\b(malloc|calloc|realloc|rte_malloc|rte_zmalloc|"
                              r"EVP_\w+_new|EVP_\w+_fetch|printf|SL_(ERR|WARN|INFO|DEBUG))\s*\(")
EXITS = re.compile(r"\b(exit|_exit|abort|rte_exit|rte_panic)\s*\(")
MAX_FN = 60

# Check 5 looks at every text file of the tree except build directories and
# binary corpora. The patterns are written so that this file does not match
# itself.
TEXT_EXT = (".c", ".h", ".py", ".sh", ".md", ".build", ".conf", ".ovpn", ".supp")
TEXT_NAMES = ("meson_options.txt", "run")
SKIP_DIRS = (".git", "subprojects", "corpus")
OUTSIDE = [
    (re.compile("\u00a7"), "section-sign citation (cite the OpenVPN source file, an RFC or docs/)"),
    (re.compile(r"\.\./shared|/\x77ork/|\bshared/(protocol|anchors)\b"), "path outside the repository"),
    (re.compile(r"\b(ARCHITECTURE|STYLE)\.md\b"), "document outside the repository"),
    (re.compile(r"\bissues?\s*#?\d+|\x28issues?\b", re.I), "issue reference"),
    (re.compile(r"\b(the|this|that|next|previous|later|earlier|future|separate|same)\s+"
                r"([\w/-]+\s+){0,2}issue\b", re.I), "issue reference"),
    (re.compile(r"\b(the|our) doc('s)?\b|\bprotocol notes\b", re.I),
     "unnamed document (name the OpenVPN source file, the RFC or the file in docs/)"),
]
# "RFC 2246 \u00a75" is a citation of an RFC, which is fine.
RFC_SECTION = re.compile(r"\bRFC\s*\d+,?\s*\u00a7\s*[\d.]*\d")
MD_REF = re.compile(r"(?<![\w.>-])((?:\.{0,2}/)?[\w-]+(?:/[\w.-]+)*\.md)\b")


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


def text_files():
    for dirpath, dirs, names in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs
                         if d not in SKIP_DIRS and not (d.startswith("build") and dirpath == ROOT)
                         and not os.path.exists(os.path.join(dirpath, d, "meson-private")))
        for n in sorted(names):
            if n.endswith(TEXT_EXT) or n in TEXT_NAMES:
                yield os.path.join(dirpath, n)


def comments_only(text):
    """The text with everything outside comments blanked, lines kept in place."""
    out, pos = [], 0
    for m in re.finditer(r"/\*.*?\*/|//[^\n]*", text, flags=re.S):
        out.append("\n" * text.count("\n", pos, m.start()))
        out.append(m.group(0))
        pos = m.end()
    out.append("\n" * text.count("\n", pos))
    return "".join(out)


def md_missing(ref, path, md_names):
    """True when a Markdown file named in PATH is not in the repository."""
    if "/" not in ref:
        return ref not in md_names
    return not any(os.path.exists(os.path.normpath(os.path.join(base, ref)))
                   for base in (ROOT, os.path.dirname(path)))


def outside_refs(line, md_line, path, md_names):
    """What LINE cites from outside the repository (MD_LINE: where to look for .md names)."""
    found = [what for pat, what in OUTSIDE if pat.search(RFC_SECTION.sub("", line))]
    found += [f"{ref} is not in the repository" for ref in MD_REF.findall(md_line)
              if md_missing(ref, path, md_names)]
    return found


def standalone(findings):
    """Check 5; returns the number of files checked."""
    files = list(text_files())
    md_names = {os.path.basename(f) for f in files if f.endswith(".md")}
    for path in files:
        try:
            text = open(path, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        # In C, a name ending in .md outside comments is a struct member.
        md_text = comments_only(text) if path.endswith((".c", ".h")) else text
        for i, (line, md_line) in enumerate(zip(text.split("\n"), md_text.split("\n")), 1):
            for what in outside_refs(line, md_line, path, md_names):
                findings.append(f"{rel(path)}:{i}: {what}: {line.strip()}")
    return len(files)


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
    texts = standalone(findings)
    for f in findings:
        print(f)
    print(f"style: {checks} C files checked, {texts} text files checked for references")
    print(f"{1 if not findings else 0} passed, {1 if findings else 0} failed")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
