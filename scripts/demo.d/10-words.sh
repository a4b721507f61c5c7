#!/usr/bin/env bash
# Demo step: the default English word model `english`, trained once on the default corpus and
# kept in DATA_DIR (skipped when DATA_DIR/models/english/manifest.json exists).
#
# Parameters (docs/words.md, "Default model"): fastText skipgram, dim 100, 5 epochs, min-count 5,
# window 5, subword n-grams 3–5 in 200,000 buckets. Same analogy and WordSim scores as n-grams 3–6
# in fastText's 2M buckets, in about half the time and a model.bin of 130 MB instead of 850 MB.
#
# Env: LATENTDB (the binary), DATA_DIR (set by scripts/run-demo.sh); WORDS_THREADS (default: all
# cores); SHARED_DATA (default ../shared/data beside the repository: evaluation files, optional).
set -euo pipefail
: "${LATENTDB:?LATENTDB must point at the latentdb binary}" "${DATA_DIR:?DATA_DIR must be set}"
name=english
if [ -f "$DATA_DIR/models/$name/manifest.json" ]; then
  echo "word model '$name' already trained (delete it with: $LATENTDB models delete $name --data-dir $DATA_DIR)"
  exit 0
fi
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED_DATA:-$repo/../shared/data}"
threads="${WORDS_THREADS:-$(nproc)}"
corpus="$DATA_DIR/corpus-en.txt"

if [ ! -s "$corpus" ]; then
  "$LATENTDB" corpus default --out "$corpus.tmp"
  mv "$corpus.tmp" "$corpus"
fi
eval_flags=()
[ -f "$shared/questions-words.txt" ] && eval_flags+=(--analogies "$shared/questions-words.txt")
[ -f "$shared/wordsim353.tsv" ] && eval_flags+=(--pairs "$shared/wordsim353.tsv")
echo "training word model '$name' on $corpus with $threads threads (about 10 minutes on 2 cores)"
"$LATENTDB" train word2vec --data-dir "$DATA_DIR" --corpus "$corpus" --name "$name" \
  --model skipgram --dim 100 --epoch 5 --min-count 5 --window 5 --minn 3 --maxn 5 --bucket 200000 \
  --threads "$threads" "${eval_flags[@]}"
