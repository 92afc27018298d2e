#!/bin/sh
# tests/fuzz/replay.sh BIN NAME: runs harness NAME's replayer on its seeds and on every input
# a fuzzer ever found to crash it (tests/data/bad/fuzz/NAME/, kept as regression tests).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bad="$here/../data/bad/fuzz/$2"
seeds=$(sh "$here/corpus.sh" "$2")
if [ -d "$bad" ]; then
  exec "$1" $seeds "$bad"
else
  exec "$1" $seeds
fi
