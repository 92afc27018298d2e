/* graph/const_fold.c: constant folding (TF Grappler's ConstantFolding, the basic part): pure
 * nodes whose inputs are all constants run once on the CPU and become Const nodes.
 * Owns: which nodes may fold (not stateful, control flow, function calls, Placeholder*,
 * ref-typed or fed; control inputs only from constants; a CPU kernel exists) and the size
 * limit. Does not own: the working graph (optimize.c), the kernels (core/kernel.h).
 * A kernel that fails here leaves the node alone: the step reports the error when it runs
 * (as TF does: folding never fails a session). Thread-safety: one working graph per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/op_registry.h"
#include "graph/optimize_impl.h"
#include "core/kernel.h"

#define MAX_IO 64 /* frt_kernel_run_once's limit */

static bool has_ref_arg(const frt_op_def *d) {
    for (int k = 0; k < d->n_inputs; k++)
        if (d->inputs[k].is_ref) return true;
    for (int k = 0; k < d->n_outputs; k++)
        if (d->outputs[k].is_ref) return true;
    return false;
}

static bool foldable(const frt_opt_graph *w, int i) {
    const frt_opt_node *n = &w->nodes[i];
    if (!n->live || !n->region || n->is_const) return false;
    if (n->n_data < 1 || n->n_data > MAX_IO || n->n_outputs < 1 || n->n_outputs > MAX_IO)
        return false;
    if (!strncmp(n->op, "Placeholder", 11)) return false;
    const frt_op_def *d = frt_op_find(n->op);
    if (!d || (d->traits & (FRT_OP_STATEFUL | FRT_OP_CONTROL_FLOW | FRT_OP_FUNCTION_CALL |
                            FRT_OP_ALLOWS_UNINIT)) ||
        has_ref_arg(d))
        return false;
    for (int k = 0; k < n->n_data; k++)
        if (!frt_opt_const_value(w, n->data[k])) return false;
    for (int k = 0; k < n->n_ctrl; k++) {
        const frt_opt_node *c = &w->nodes[n->ctrl[k]];
        if (!c->live || !c->is_const) return false;
    }
    for (int k = 0; k < n->n_outputs; k++)
        if (frt_opt_edge_fed(w, (frt_edge){i, k})) return false;
    if (n->n_outputs > 1) {
        /* Its outputs become separately named Consts: only when no name refers to it. */
        int cuses = 0;
        frt_opt_uses(w, (frt_edge){i, 0}, &cuses);
        if (cuses || frt_opt_pinned(w, i)) return false;
    }
    return frt_kernel_find(n->op, FRT_DEVICE_CPU, &n->attrs) != NULL;
}

static bool foldable_output(const frt_tensor *t, int64_t max_bytes) {
    if (!t || t->dtype == FRT_DTYPE_RESOURCE || t->dtype == FRT_DTYPE_VARIANT) return false;
    size_t es = frt_dtype_size(t->dtype);
    return es > 0 && (double)t->n * (double)es <= (double)max_bytes;
}

/* Evaluates node i; on success rewrites it (or its consumers) to use the results. */
static void fold_node(frt_opt_graph *w, int i) {
    frt_opt_node *n = &w->nodes[i];
    frt_tensor *ins[MAX_IO], *outs[MAX_IO];
    int nin = n->n_data, nout = n->n_outputs;
    for (int k = 0; k < nin; k++) ins[k] = (frt_tensor *)frt_opt_const_value(w, n->data[k]);
    frt_status *st = frt_kernel_run_once(n->op, &n->attrs, ins, nin, outs, nout, NULL);
    if (st) {
        frt_status_free(st);
        return;
    }
    bool ok = true;
    for (int k = 0; k < nout; k++) ok = ok && foldable_output(outs[k], w->opts.max_fold_bytes);
    if (ok && nout == 1) {
        frt_opt_make_const(w, i, outs[0]);
    } else if (ok) {
        for (int k = 0; k < nout && !w->oom; k++) {
            char suffix[48];
            snprintf(suffix, sizeof suffix, "frt_folded_%d", k);
            char *base = frt_strdup(w->nodes[i].name); /* add_const may move the nodes */
            int c = base ? frt_opt_add_const(w, base, suffix, outs[k]) : -1;
            free(base);
            if (c < 0) {
                w->oom = true;
                break;
            }
            for (int j = 0; j < w->n; j++) {
                frt_opt_node *m = &w->nodes[j];
                for (int e = 0; m->live && e < m->n_data; e++)
                    if (m->data[e].node == i && m->data[e].index == k)
                        m->data[e] = (frt_edge){c, 0};
            }
        }
        w->nodes[i].live = false; /* nothing refers to it (foldable() checked) */
    }
    for (int k = 0; k < nout; k++) frt_tensor_unref(outs[k]);
}

void frt_opt_fold_constants(frt_opt_graph *w) {
    for (int k = 0; k < w->g->n_nodes && !w->oom; k++) {
        int i = w->order[k];
        if (foldable(w, i)) fold_node(w, i);
    }
}
