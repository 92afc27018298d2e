/* runtime/session_report.c: what a session can tell about its devices — the statistics of
 * its allocators and last run as JSON (flowrt run --stats-json), and where the model's
 * nodes go (flowrt inspect --placement).
 * Owns: the JSON field names (documented in the README: change both together).
 * Does not own: placement (graph/place.c via runtime/plan.c), the allocators (core/).
 * Thread-safety: thread-safe (the last run's figures are read under the session's mutex). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bfc.h"
#include "runtime/session_impl.h"

typedef struct jbuf {
    char *s;
    size_t len, cap;
    bool oom;
} jbuf;

static void jprintf(jbuf *b, const char *fmt, ...) FRT_PRINTF(2, 3);
static void jprintf(jbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n > 0 && b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = frt_realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            va_end(ap);
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    if (n > 0) {
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

/* A JSON string: device names hold no quotes or backslashes, but be safe. */
static void jstring(jbuf *b, const char *s) {
    jprintf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') jprintf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) jprintf(b, "\\u%04x", *s);
        else jprintf(b, "%c", *s);
    }
    jprintf(b, "\"");
}

frt_status *frt_session_stats_json(frt_session *s, char **out) {
    *out = NULL;
    pthread_mutex_lock(&s->mu);
    const frt_plan *p = s->last_plan;
    long copies = s->last_copies, copy_bytes = s->last_copy_bytes;
    pthread_mutex_unlock(&s->mu);
    int nodes[FRT_SESSION_MAX_DEVICES] = {0};
    for (int i = 0; p && i < p->n_nodes; i++)
        if (p->nodes[i].def && p->nodes[i].device < FRT_SESSION_MAX_DEVICES)
            nodes[p->nodes[i].device]++;
    jbuf b = {0};
    jprintf(&b, "{\n  \"devices\": [");
    for (int d = 0; d < s->n_devices; d++) {
        const frt_device *dev = s->devices[d];
        frt_alloc_stats st, base;
        frt_allocator_stats(s->allocs[d], &st);
        const char *mode = "host";
        size_t limit = st.limit;
        if (dev->alloc) {
            frt_allocator_stats(dev->alloc, &base);
            mode = frt_bfc_mode(dev->alloc);
            if (!limit) limit = base.limit; /* no budget of its own: the process cap */
        }
        jprintf(&b, "%s\n    {\"name\": ", d ? "," : "");
        jstring(&b, dev->name);
        jprintf(&b, ", \"simulated\": %s, \"mode\": ", dev->simulated ? "true" : "false");
        jstring(&b, mode ? mode : "unknown");
        jprintf(&b, ", \"limit_bytes\": %zu, \"in_use_bytes\": %zu, \"peak_bytes\": %zu, "
                    "\"regions\": %zu, \"largest_free_bytes\": %zu, \"num_allocs\": %zu, "
                    "\"nodes\": %d}",
                limit, st.in_use, st.peak, st.regions, st.largest_free, st.num_allocs,
                nodes[d]);
    }
    jprintf(&b, "\n  ],\n  \"copies\": {\"count\": %ld, \"bytes\": %ld}\n}\n", copies,
            copy_bytes);
    if (b.oom) {
        free(b.s);
        return frt_status_oom("writing the session's statistics");
    }
    *out = b.s;
    return NULL;
}

frt_status *frt_session_placement_report(frt_session *s, char **out) {
    frt_plan_config cfg = {.n_devices = s->n_devices, .devices = s->devices,
                           .no_soft_placement = s->no_soft_placement};
    return frt_plan_explain_placement(s->model->g, &cfg, out);
}
