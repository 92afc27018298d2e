/* tools/cli/device_flags.c: the device and GPU-memory flags `run` and `inspect` share
 * (--visible-gpus, --no-soft-placement, --log-device-placement, --gpu-memory-fraction,
 * --allow-growth, --gpu-memory-limit, --gpu-session-limit), parsed strictly: a value out of
 * range is a one-line error before anything is loaded. Public API only. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_mb(const char *flag, const char *v, size_t *out) {
    char *end;
    errno = 0;
    double mb = strtod(v, &end);
    if (end == v || *end || errno || !(mb > 0) || mb > 1e9)
        return cli_failf("%s expects a positive number of MB, got '%s'", flag, v);
    *out = (size_t)(mb * 1024.0 * 1024.0);
    return 0;
}

int cli_device_flag(int argc, char **argv, int *i, cli_device_opts *d) {
    const char *a = argv[*i];
    bool has_val = *i + 1 < argc;
    if (!strcmp(a, "--no-soft-placement")) {
        d->no_soft_placement = true;
    } else if (!strcmp(a, "--log-device-placement")) {
        d->log_device_placement = true;
    } else if (!strcmp(a, "--allow-growth")) {
        d->allow_growth = true;
    } else if (!strcmp(a, "--visible-gpus") && has_val) {
        d->visible_gpus = argv[++*i];
        if (strlen(d->visible_gpus) > 127)
            return -cli_failf("--visible-gpus: list too long");
    } else if (!strcmp(a, "--gpu-memory-fraction") && has_val) {
        const char *v = argv[++*i];
        char *end;
        errno = 0;
        double f = strtod(v, &end);
        if (end == v || *end || errno || !(f > 0 && f <= 1))
            return -cli_failf("--gpu-memory-fraction must be in (0, 1], got '%s'", v);
        d->fraction = f;
    } else if (!strcmp(a, "--gpu-memory-limit") && has_val) {
        if (parse_mb("--gpu-memory-limit", argv[++*i], &d->limit)) return -1;
    } else if (!strcmp(a, "--gpu-session-limit") && has_val) {
        if (parse_mb("--gpu-session-limit", argv[++*i], &d->session_limit)) return -1;
    } else {
        return 0;
    }
    return 1;
}

int cli_device_apply(const cli_device_opts *d, frt_session_options *o) {
    frt_session_options_set_soft_placement(o, !d->no_soft_placement);
    frt_session_options_set_log_device_placement(o, d->log_device_placement);
    frt_session_options_set_allow_growth(o, d->allow_growth);
    frt_session_options_set_gpu_memory_fraction(o, d->fraction);
    frt_session_options_set_gpu_memory_limit(o, d->limit);
    frt_session_options_set_gpu_session_limit(o, d->session_limit);
    if (d->visible_gpus && frt_session_options_set_visible_gpus(o, d->visible_gpus) != 0)
        return cli_failf("--visible-gpus: list too long");
    return 0;
}
