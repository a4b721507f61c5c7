#!/usr/bin/env python3
"""Text upserts over HTTP, two server binaries alternating on the same data (issue 11's before/after).

Usage: bench/text_upsert_compare.py DATA_DIR OLD_LATENTDB NEW_LATENTDB
  DATA_DIR  a data directory holding the word model "bench_words" (word_bench leaves one in
            /tmp/word_bench/latency-data); each run serves a fresh copy of it
  The texts are 20,000 random 8-word texts from the 20,000 most frequent words of the first 3 MB
  of /tmp/corpus-en.txt (`latentdb corpus default --out /tmp/corpus-en.txt`), seed 7, upserted in
  batches of 500 over one connection into a cosine Flat collection bound to the model. Prints
  texts/s for old, new, old, new. Run it on an idle machine (load average < 0.5). Needs python3.
"""
import json, random, subprocess, sys, time, urllib.request, shutil, os, re
def run(binary, label, src, texts):
    d = f"/tmp/textup_{label}"
    shutil.rmtree(d, ignore_errors=True); shutil.copytree(src, d)
    p = subprocess.Popen([binary, "serve", "--data-dir", d, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = None
    for line in p.stdout:
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if m: port = int(m.group(1)); break
    base = f"http://127.0.0.1:{port}"
    def req(method, path, body):
        r = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method,
                                   headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(r) as resp: return json.loads(resp.read())
    req("PUT", "/collections/texts", {"dim": 100, "metric": "cosine", "index": "Flat", "encoder": "bench_words"})
    bodies = [json.dumps({"points": [{"id": i, "text": texts[i]} for i in range(b, b + 500)]}).encode() for b in range(0, len(texts), 500)]
    t0 = time.perf_counter()
    for b in bodies:
        r = urllib.request.Request(base + "/collections/texts/points", data=b, method="PUT", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(r) as resp: resp.read()
    secs = time.perf_counter() - t0
    n = req("GET", "/collections/texts", None)["result"]["points_count"]
    p.terminate(); p.wait()
    print(f"{label}: {len(texts)/secs:.0f} texts/s ({n} stored)", flush=True)
src = sys.argv[1]; old = sys.argv[2]; new = sys.argv[3]
words = open("/tmp/corpus-en.txt").read(3000000).split()
from collections import Counter
vocab = [w for w, _ in Counter(w for w in words if w.isalpha()).most_common(20000)]
random.seed(7)
texts = [" ".join(random.choice(vocab) for _ in range(8)) for _ in range(20000)]
for label, b in [("old", old), ("new", new), ("old", old), ("new", new)]:
    run(b, label, src, texts)
