/* tools/cli/main.c: placeholder until the CLI lands. */
#include <stdio.h>
int main(void) { puts("flowrt"); return 0; }
