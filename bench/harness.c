/* bench/harness.c: placeholder. */
