#!/usr/bin/env python3
"""Print an in-toto Statement v1 / SLSA provenance v1 like the one `hermetic build` writes
(buildType sandboxed-build/v1, the sandbox's isolation report), for the dsse tests.

  statement.py [--subject NAME=FILE]... [--set PATH=JSON]... [--del PATH]... [--pretty]

PATH is dotted ("predicate.runDetails.builder.id"; list indexes as numbers). With no
--subject, one subject dist/app.tar.gz with the sha256 of b"app".
"""
import argparse
import hashlib
import json
import sys

ISOLATION = {
    "version": "0.1.0",
    "namespaces": {"user": True, "mount": True, "pid": True, "net": True, "uts": True,
                   "ipc": True, "cgroup": True},
    "identity": {"uid": 1000, "gid": 1000, "mode": "unprivileged"},
    "network": {"policy": "none",
                "interfaces": [{"name": "lo", "index": 1, "up": True,
                                "addresses": ["127.0.0.1/8", "::1/128"]}],
                "routes": []},
    "seccomp": {"profile": "default", "mode": "enforce", "action_on_denied": "errno",
                "arch": ["x86_64"],
                "bpf_sha256": "9a9ed87421e23ef1f7dc76f3176f99525c0fcba329dc3c1f792fae11dbfb6f94"},
    "capabilities": {"effective": [], "permitted": [], "inheritable": [], "bounding": [],
                     "ambient": []},
    "no_new_privs": True,
    "new_session": True,
    "limits": {"timeout_sec": None, "pids": None, "memory": None},
}

COMMIT = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"


def statement(subjects):
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://hermetic.dev/buildtypes/sandboxed-build/v1",
                "externalParameters": {
                    "command": ["make"],
                    "subjects": ["dist/*"],
                    "source": {"uri": "git+https://github.com/o/r@refs/heads/main",
                               "digest": {"gitCommit": COMMIT}},
                },
                "internalParameters": {"isolation": ISOLATION},
                "resolvedDependencies": [
                    {"uri": "git+https://github.com/o/r@refs/heads/main",
                     "digest": {"gitCommit": COMMIT}},
                    {"uri": "pkg:npm/left-pad@1.3.0",
                     "digest": {"sha512": "ab" * 64}},
                ],
            },
            "runDetails": {
                "builder": {"id": "https://hermetic.dev/builders/local/v1",
                            "version": {"hermetic": "0.1.0"}},
                "metadata": {"invocationId": "0b9f6a0e-3c1d-4e5f-8a7b-9c0d1e2f3a4b",
                             "startedOn": "2026-01-01T00:00:00Z",
                             "finishedOn": "2026-01-01T00:01:00Z"},
                "byproducts": [{"name": "build.log", "digest": {"sha256": "cd" * 32}}],
            },
        },
    }


def walk(doc, path):
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc[int(k)] if isinstance(doc, list) else doc.setdefault(k, {})
    last = keys[-1]
    return doc, int(last) if isinstance(doc, list) else last


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subject", action="append", default=[])
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--del", dest="delete", action="append", default=[])
    ap.add_argument("--pretty", action="store_true")
    a = ap.parse_args()
    subjects = []
    for s in a.subject:
        name, path = s.split("=", 1)
        data = open(path, "rb").read()
        subjects.append({"name": name, "digest": {"sha256": hashlib.sha256(data).hexdigest()}})
    if not subjects:
        subjects = [{"name": "dist/app.tar.gz",
                     "digest": {"sha256": hashlib.sha256(b"app").hexdigest()}}]
    doc = statement(subjects)
    for s in a.set:
        path, value = s.split("=", 1)
        parent, key = walk(doc, path)
        parent[key] = json.loads(value)
    for path in a.delete:
        parent, key = walk(doc, path)
        del parent[key]
    if a.pretty:
        json.dump(doc, sys.stdout, indent=2)
    else:
        json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
