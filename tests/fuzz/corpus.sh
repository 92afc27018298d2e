#!/bin/sh
# tests/fuzz/corpus.sh NAME: prints the seed files of harness fuzz_NAME, one per line, all
# from tests/data (inputs TensorFlow made, and flowrt's own bad-input fixtures).
set -eu
data=$(cd "$(dirname "$0")/../data" && pwd)
case "$1" in
  fuzz_graphdef|fuzz_session)
    find "$data/ops" "$data/models" "$data/io" "$data/bad" "$data/func" -name '*.pb' ;;
  fuzz_text_format)
    find "$data" -name '*.pbtxt' -o -name checkpoint -type f ;;
  fuzz_saved_model)
    find "$data/savedmodels" "$data/saved" -name saved_model.pb ;;
  fuzz_meta_graph)
    find "$data" -name '*.meta' ;;
  fuzz_ckpt_index)
    find "$data" -name '*.index' ;;
  fuzz_ckpt_data|fuzz_ckpt_data_nocrc)
    find "$data/ckpt" -name '*.data-*' ;;
  fuzz_npy)
    find "$data/io/npy" "$data/bad" -name '*.npy' ;;
  *) echo "corpus.sh: unknown harness '$1'" >&2; exit 1 ;;
esac | sort
