/* core/shape.c: NumPy/TF broadcasting (BCast) with dimension collapsing and a row
 * iterator; TF's windowed output size. Owns: output shape rules, stride computation,
 * fast-case flags, window output size and padding-before arithmetic.
 * Does not own: what kernels do per element, thread splitting.
 * Thread-safety: pure. */
#include "core/shape.h"

#include <stdio.h>
#include <string.h>

/* Shared by the 2- and 3-operand entry points. shapes[k] right-aligned to the output rank. */
static frt_status *bcast_init(frt_bcast *b, int k, const int64_t *const *shapes,
                              const int *ndims) {
    memset(b, 0, sizeof *b);
    b->n_in = k;
    int rank = 0;
    for (int j = 0; j < k; j++) {
        if (ndims[j] < 0 || ndims[j] > FRT_MAX_DIMS)
            return frt_status_new(FRT_INVALID_ARGUMENT, "rank %d out of range", ndims[j]);
        if (ndims[j] > rank) rank = ndims[j];
    }
    /* padded[j][d]: operand j's size in output dim d (leading 1s). */
    int64_t padded[FRT_BCAST_MAX_IN][FRT_MAX_DIMS];
    bool ok = true;
    for (int d = 0; d < rank; d++) {
        int64_t out = 1;
        for (int j = 0; j < k; j++) {
            int off = rank - ndims[j];
            int64_t s = d < off ? 1 : shapes[j][d - off];
            if (s < 0) ok = false;
            padded[j][d] = s;
            /* NumPy rule: equal, or one side 1 (so [0] vs [1] gives 0). */
            if (s == 1) continue;
            if (out == 1) out = s;
            else if (s != out) ok = false;
        }
        b->out_dims[d] = out;
    }
    if (!ok) {
        char msg[400];
        size_t len = 0;
        len += (size_t)snprintf(msg, sizeof msg, "Incompatible shapes: ");
        for (int j = 0; j < k && len < sizeof msg; j++) {
            char s[96];
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", j ? " vs. " : "",
                                    frt_shape_str(shapes[j], ndims[j], s, sizeof s));
        }
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s", msg);
    }
    b->out_ndim = rank;
    b->n = 1;
    for (int d = 0; d < rank; d++) b->n *= b->out_dims[d];
    for (int j = 0; j < k; j++) {
        b->in_n[j] = 1;
        for (int d = 0; d < ndims[j]; d++) b->in_n[j] *= shapes[j][d];
        b->scalar[j] = b->in_n[j] == 1;
    }

    /* Collapse: skip output dims of size 1; merge neighbours whose per-operand "broadcast
     * here" pattern is the same (merged dims stay contiguous in every operand). */
    int nd = 0;
    unsigned pattern[FRT_MAX_DIMS];
    for (int d = 0; d < rank; d++) {
        if (b->out_dims[d] == 1) continue;
        unsigned p = 0;
        for (int j = 0; j < k; j++)
            if (padded[j][d] == 1) p |= 1u << j;
        if (nd > 0 && pattern[nd - 1] == p) {
            b->dims[nd - 1] *= b->out_dims[d];
        } else {
            pattern[nd] = p;
            b->dims[nd++] = b->out_dims[d];
        }
    }
    if (nd == 0) { /* every output dim is 1 (or rank 0): one element */
        pattern[0] = (1u << k) - 1;
        b->dims[0] = 1;
        nd = 1;
    }
    b->ndim = nd;
    b->same_shape = true;
    for (int j = 0; j < k; j++) {
        int64_t stride = 1;
        for (int d = nd - 1; d >= 0; d--) {
            if (pattern[d] & (1u << j)) {
                b->strides[j][d] = 0;
            } else {
                b->strides[j][d] = stride;
                stride *= b->dims[d];
            }
        }
        if (b->in_n[j] != b->n) b->same_shape = false;
    }
    if (k == 2 && nd == 2) {
        b->y_row = pattern[0] == 2u && pattern[1] == 0u;
        b->x_row = pattern[0] == 1u && pattern[1] == 0u;
    }
    return NULL;
}

frt_status *frt_bcast_init(frt_bcast *b, const int64_t *x, int xn, const int64_t *y, int yn) {
    const int64_t *shapes[2] = {x, y};
    int ndims[2] = {xn, yn};
    return bcast_init(b, 2, shapes, ndims);
}

frt_status *frt_bcast_init3(frt_bcast *b, const int64_t *a, int an, const int64_t *bb, int bn,
                            const int64_t *c, int cn) {
    const int64_t *shapes[3] = {a, bb, c};
    int ndims[3] = {an, bn, cn};
    return bcast_init(b, 3, shapes, ndims);
}

void frt_bcast_iter_init(const frt_bcast *b, frt_bcast_iter *it, int64_t i) {
    for (int j = 0; j < FRT_BCAST_MAX_IN; j++) it->off[j] = 0;
    for (int d = b->ndim - 1; d >= 0; d--) {
        int64_t c = b->dims[d] ? i % b->dims[d] : 0;
        i = b->dims[d] ? i / b->dims[d] : 0;
        it->coord[d] = c;
        for (int j = 0; j < b->n_in; j++) it->off[j] += c * b->strides[j][d];
    }
}

void frt_bcast_iter_advance(const frt_bcast *b, frt_bcast_iter *it, int64_t len) {
    int d = b->ndim - 1;
    it->coord[d] += len;
    for (int j = 0; j < b->n_in; j++) it->off[j] += len * b->strides[j][d];
    /* Carry: a coordinate that reached its dim wraps to 0 and bumps the next outer one. */
    while (d > 0 && it->coord[d] == b->dims[d]) {
        for (int j = 0; j < b->n_in; j++) it->off[j] -= b->dims[d] * b->strides[j][d];
        it->coord[d] = 0;
        d--;
        it->coord[d]++;
        for (int j = 0; j < b->n_in; j++) it->off[j] += b->strides[j][d];
    }
}

int64_t frt_bcast_offset(const frt_bcast *b, int k, int64_t i) {
    frt_bcast_iter it;
    frt_bcast_iter_init(b, &it, i);
    return it.off[k];
}

void frt_window_dim(int64_t in, int64_t keff, int64_t s, frt_padding mode,
                    int64_t explicit_before, int64_t explicit_after, int64_t *out,
                    int64_t *pad_before) {
    switch (mode) {
    case FRT_PADDING_VALID:
        *out = (in - keff + s) / s;
        *pad_before = 0;
        break;
    case FRT_PADDING_SAME: {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + keff - in;
        *pad_before = total > 0 ? total / 2 : 0;
        break;
    }
    default:
        *out = (in + explicit_before + explicit_after - keff + s) / s;
        *pad_before = explicit_before;
        break;
    }
}
