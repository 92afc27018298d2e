/* graph/metagraph.c: lifetime of frt_metagraph (see metagraph.h). */
#include "graph/metagraph.h"

#include <stdlib.h>
#include <string.h>

frt_metagraph *frt_metagraph_new(frt_graph *g) {
    frt_metagraph *mg = frt_calloc(1, sizeof *mg);
    if (mg) mg->g = g;
    return mg;
}

static void free_infos(frt_tensor_info *t, int n) {
    for (int i = 0; i < n; i++) {
        free(t[i].key);
        free(t[i].tensor);
    }
    free(t);
}

static void free_strs(char **s, int n) {
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

void frt_metagraph_free(frt_metagraph *mg) {
    if (!mg) return;
    frt_graph_free(mg->g);
    free_strs(mg->tags, mg->n_tags);
    for (int i = 0; i < mg->n_signatures; i++) {
        frt_signature *s = &mg->signatures[i];
        free(s->name);
        free(s->method);
        free_infos(s->inputs, s->n_inputs);
        free_infos(s->outputs, s->n_outputs);
    }
    free(mg->signatures);
    free(mg->saver_filename_tensor);
    free(mg->saver_restore_op);
    free(mg->saver_save_tensor);
    free(mg->checkpoint_prefix);
    free_strs(mg->init_ops, mg->n_init_ops);
    for (int i = 0; i < mg->n_assets; i++) {
        free(mg->assets[i].tensor);
        free(mg->assets[i].path);
    }
    free(mg->assets);
    for (int i = 0; i < mg->n_var_bindings; i++) {
        free(mg->var_bindings[i].node);
        free(mg->var_bindings[i].checkpoint_key);
    }
    free(mg->var_bindings);
    free(mg);
}

const frt_signature *frt_metagraph_find_signature(const frt_metagraph *mg, const char *name) {
    for (int i = 0; i < mg->n_signatures; i++)
        if (strcmp(mg->signatures[i].name, name) == 0) return &mg->signatures[i];
    return NULL;
}
