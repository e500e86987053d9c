#!/usr/bin/env python3
"""citations.py - every document that code cites exists, and so does every section it names.

    citations.py ROOT          check the tree under ROOT; exit 1 listing each bad citation
    citations.py --selftest    check that planted bad citations are caught (exit 0 if they are)

A citation is a path ending in .md inside a comment or string of a source file (C, shell, YAML,
CMake, gnuplot, SQL, Python, Dockerfile): `docs/protocol.md`, `scenarios/README.md`, or a bare
`README.md` next to the citing file or at the root. Section numbers right after it
(`docs/protocol.md §5.1`, `§3-§5`, `§6.2, §6.4`) must be headings of that file (`## 5.` /
`### 5.1 ...`), and a quoted title right after it (`docs/design.md, "Cost model"`) must be a
heading's text. Build trees, .git, the fuzz corpora, test vectors and this file are not
searched.
"""
import os
import re
import sys
import tempfile

SOURCE_EXT = (".c", ".h", ".sh", ".yaml", ".yml", ".gp", ".sql", ".py", ".cmake")
SOURCE_NAMES = ("CMakeLists.txt", "Dockerfile")
SKIP_DIRS = {".git", "corpus", "vectors", "results"}

CITE = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
SECTIONS = re.compile(r"\s*((?:§[\d.]*\d)(?:\s*(?:-|–|,|and)\s*§[\d.]*\d)*)")
SECTION = re.compile(r"§([\d.]*\d)")
TITLE = re.compile(r'\s*,?\s*"([^"\n]+)"')


def source_files(root):
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        dirs[:] = sorted(x for x in dirs
                         if x not in SKIP_DIRS and not (rel == "." and x.startswith("build")))
        for f in sorted(files):
            p = os.path.join(d, f)
            if (f.endswith(SOURCE_EXT) or f in SOURCE_NAMES) and \
                    os.path.relpath(p, root) != os.path.join("tests", "citations.py"):
                yield p


def headings(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            cache[path] = [l.lstrip("#").strip() for l in f if l.startswith("#")]
    return cache[path]


def resolve(root, citing, name):
    for base in (os.path.dirname(citing), root):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None


def check(root):
    bad = []
    for src in source_files(root):
        try:
            text = open(src, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        for m in CITE.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            where = f"{os.path.relpath(src, root)}:{line}"
            token_start = max(text.rfind(c, 0, m.start()) for c in " \t\n(<'\"")
            if "://" in text[token_start + 1:m.start()]:
                continue  # part of a URL
            doc = resolve(root, src, name)
            if doc is None:
                bad.append(f"{where}: cites {name}, which does not exist")
                continue
            rest = text[m.end():m.end() + 200]
            heads = None
            s = SECTIONS.match(rest)
            if s:
                heads = headings(doc)
                for num in SECTION.findall(s.group(1)):
                    pat = re.compile(re.escape(num) + r"\.?(\s|$)")
                    if not any(pat.match(h) for h in heads):
                        bad.append(f"{where}: cites {name} §{num}, which has no such section")
            t = TITLE.match(rest)
            if t and not s:
                heads = heads or headings(doc)
                title = t.group(1).lower()
                if not any(title in h.lower() for h in heads):
                    bad.append(f'{where}: cites {name}, "{t.group(1)}", which has no such heading')
    return bad


def selftest():
    with tempfile.TemporaryDirectory(prefix="dtt_citations_") as root:
        os.makedirs(os.path.join(root, "docs"))
        os.makedirs(os.path.join(root, "core"))
        with open(os.path.join(root, "docs", "a.md"), "w") as f:
            f.write("# A\n## 1. One\n### 1.2 Two\n## Cost model\n")
        good = ("/* docs/a.md §1, docs/a.md §1.2-§1, docs/a.md, \"Cost model\", "
                "https://example.org/x/README.md */\n")
        with open(os.path.join(root, "core", "ok.c"), "w") as f:
            f.write(good)
        if check(root):
            print("selftest: good citations were refused:", check(root))
            return 1
        planted = {
            "missing file": "/* spec/PROTOCOL.md §5.1 */\n",
            "missing section": "/* docs/a.md §7.7 */\n",
            "missing section in a list": "# docs/a.md §1, §3\n",
            "missing title": "/* docs/a.md, \"Cost modell\" */\n",
            "missing bare name": "/* DESIGN.md */\n",
        }
        for what, body in planted.items():
            p = os.path.join(root, "core", "planted.c")
            with open(p, "w") as f:
                f.write(body)
            found = check(root)
            os.remove(p)
            if len(found) != 1:
                print(f"selftest: {what} not caught exactly once: {found}")
                return 1
            print(f"selftest: {what}: caught ({found[0]})")
    print("selftest: ok")
    return 0


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    if argv[1] == "--selftest":
        return selftest()
    root = argv[1]
    if not os.path.isdir(root):
        print(f"citations.py: {root} is not a directory", file=sys.stderr)
        return 2
    bad = check(root)
    for b in bad:
        print(b)
    n = sum(1 for _ in source_files(root))
    print(f"citations: {len(bad)} bad citation(s) in {n} source files")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
