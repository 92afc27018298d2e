/* tools/cli/literal.c: JSON-style tensor literals for `flowrt run --input NAME=VALUE`:
 * a scalar (3, -1.5e3, true) or rectangular nested lists ([[1,2],[3,4]]). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct parser {
    const char *s, *p;
    double *vals;
    int64_t n, cap;
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
    bool dim_set[FRT_MAX_DIMS];
} parser;

static void skip_ws(parser *ps) {
    while (isspace((unsigned char)*ps->p)) ps->p++;
}

static frt_status *err(parser *ps, const char *what) {
    return frt_status_new(FRT_INVALID_ARGUMENT, "bad literal '%s' at offset %d: %s", ps->s,
                          (int)(ps->p - ps->s), what);
}

static frt_status *push(parser *ps, double v) {
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        double *nv = realloc(ps->vals, (size_t)ps->cap * sizeof *nv);
        if (!nv) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
        ps->vals = nv;
    }
    ps->vals[ps->n++] = v;
    return NULL;
}

static frt_status *parse_value(parser *ps, int depth) {
    skip_ws(ps);
    if (*ps->p == '[') {
        if (depth >= FRT_MAX_DIMS) return err(ps, "nested too deeply");
        ps->p++;
        int64_t count = 0;
        skip_ws(ps);
        if (*ps->p == ']') {
            ps->p++;
        } else {
            for (;;) {
                FRT_TRY(parse_value(ps, depth + 1));
                count++;
                skip_ws(ps);
                if (*ps->p == ',') {
                    ps->p++;
                    continue;
                }
                if (*ps->p == ']') {
                    ps->p++;
                    break;
                }
                return err(ps, "expected ',' or ']'");
            }
        }
        if (!ps->dim_set[depth]) {
            ps->dim_set[depth] = true;
            ps->dims[depth] = count;
            if (depth + 1 > ps->ndim) ps->ndim = depth + 1;
        } else if (ps->dims[depth] != count) {
            return err(ps, "lists are not rectangular");
        }
        return NULL;
    }
    if (depth < ps->ndim || (ps->dim_set[depth] && depth < FRT_MAX_DIMS))
        return err(ps, "lists are not rectangular");
    if (strncmp(ps->p, "true", 4) == 0) {
        ps->p += 4;
        return push(ps, 1);
    }
    if (strncmp(ps->p, "false", 5) == 0) {
        ps->p += 5;
        return push(ps, 0);
    }
    char *end;
    errno = 0;
    double v = strtod(ps->p, &end);
    if (end == ps->p) return err(ps, "expected a number");
    ps->p = end;
    return push(ps, v);
}

frt_status *cli_parse_literal(const char *text, frt_dtype dt, frt_tensor **out) {
    *out = NULL;
    parser ps = {.s = text, .p = text};
    frt_status *st = parse_value(&ps, 0);
    if (!st) {
        skip_ws(&ps);
        if (*ps.p) st = err(&ps, "unexpected trailing characters");
    }
    int64_t want = 1;
    for (int i = 0; !st && i < ps.ndim; i++) want *= ps.dims[i];
    if (!st && want != ps.n) st = err(&ps, "lists are not rectangular");
    frt_tensor *t = NULL;
    if (!st) st = frt_tensor_new(dt, ps.dims, ps.ndim, &t);
    if (!st) {
        void *d = frt_tensor_data(t);
        for (int64_t i = 0; i < ps.n && !st; i++) {
            double v = ps.vals[i];
            switch (dt) {
            case FRT_DTYPE_FLOAT: ((float *)d)[i] = (float)v; break;
            case FRT_DTYPE_DOUBLE: ((double *)d)[i] = v; break;
            case FRT_DTYPE_INT32: ((int32_t *)d)[i] = (int32_t)v; break;
            case FRT_DTYPE_INT64: ((int64_t *)d)[i] = (int64_t)v; break;
            case FRT_DTYPE_BOOL: ((uint8_t *)d)[i] = v != 0; break;
            case FRT_DTYPE_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; break;
            case FRT_DTYPE_INT8: ((int8_t *)d)[i] = (int8_t)v; break;
            case FRT_DTYPE_INT16: ((int16_t *)d)[i] = (int16_t)v; break;
            default:
                st = frt_status_new(FRT_UNIMPLEMENTED, "literals of dtype %s are not supported",
                                    frt_dtype_name(dt));
            }
            if (!st && (dt == FRT_DTYPE_INT32 || dt == FRT_DTYPE_INT64) && v != floor(v))
                st = frt_status_new(FRT_INVALID_ARGUMENT,
                                    "literal '%s': %g is not an integer (dtype %s)", text, v,
                                    frt_dtype_name(dt));
        }
    }
    free(ps.vals);
    if (st) {
        frt_tensor_unref(t);
        return st;
    }
    *out = t;
    return NULL;
}
