/* core/fused_attrs.c: fused_ops / num_args / leakyrelu_alpha (see core/fused_attrs.h).
 * Thread-safety: pure functions over caller-owned values. */
#include "core/fused_attrs.h"

#include <stdio.h>

frt_status *frt_fused_ops_parse(const char *op, const frt_attrs *a, frt_fused_ops *out) {
    memset(out, 0, sizeof *out);
    FRT_TRY(frt_attr_get_float(a, "leakyrelu_alpha", 0.2f, &out->alpha));
    int64_t num_args = 0;
    FRT_TRY(frt_attr_get_int(a, "num_args", 0, &num_args));
    const frt_attr_value *v = frt_attrs_find(a, "fused_ops");
    int n = v && v->kind == FRT_ATTR_LIST ? v->v.list.n : 0;
    if (v && (v->kind != FRT_ATTR_LIST || (n > 0 && v->v.list.elem != FRT_ATTR_S)))
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: attr 'fused_ops' must be a list of "
                                                    "strings", op);
    const frt_string *s = n > 0 ? v->v.list.v.s : NULL;
    bool ok = n >= 1 && n <= 2 && frt_fused_str_is(&s[0], "BiasAdd");
    if (ok && n == 2) {
        if (frt_fused_str_is(&s[1], "Relu")) out->act = FRT_FUSED_ACT_RELU;
        else if (frt_fused_str_is(&s[1], "Relu6")) out->act = FRT_FUSED_ACT_RELU6;
        else if (frt_fused_str_is(&s[1], "Elu")) out->act = FRT_FUSED_ACT_ELU;
        else if (frt_fused_str_is(&s[1], "LeakyRelu")) out->act = FRT_FUSED_ACT_LEAKY;
        else ok = false;
    }
    if (!ok) {
        char list[256] = "";
        for (int i = 0; i < n; i++) {
            size_t at = strlen(list);
            snprintf(list + at, sizeof list - at, "%s%.*s", i ? "," : "", (int)s[i].len,
                     s[i].ptr);
        }
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s: Fusion is not implemented: [%s] (supported: BiasAdd, "
                              "optionally followed by Relu, Relu6, Elu or LeakyRelu)",
                              op, list);
    }
    out->bias = true;
    if (num_args != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Fused %s must have one extra argument: bias (num_args = "
                              "%lld)",
                              op, "BiasAdd", (long long)num_args);
    return NULL;
}
