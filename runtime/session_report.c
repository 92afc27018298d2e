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
#include "core/strbuf.h"
#include "runtime/session_impl.h"

/* A JSON string: device names hold no quotes or backslashes, but be safe. */
static void jstring(frt_strbuf *b, const char *s) {
    frt_strbuf_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') frt_strbuf_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) frt_strbuf_printf(b, "\\u%04x", *s);
        else frt_strbuf_printf(b, "%c", *s);
    }
    frt_strbuf_printf(b, "\"");
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
    frt_strbuf b = {0};
    frt_strbuf_printf(&b, "{\n  \"devices\": [");
    for (int d = 0; d < s->n_devices; d++) {
        const frt_device *dev = s->devices[d];
        frt_alloc_stats st, base = {0};
        frt_allocator_stats(s->allocs[d], &st);
        const char *mode = "host";
        size_t limit = st.limit;
        if (dev->alloc) {
            frt_allocator_stats(dev->alloc, &base);
            mode = frt_bfc_mode(dev->alloc);
            if (!limit) limit = base.limit; /* no budget of its own: the process cap */
        }
        frt_strbuf_printf(&b, "%s\n    {\"name\": ", d ? "," : "");
        jstring(&b, dev->name);
        frt_strbuf_printf(&b, ", \"simulated\": %s, \"mode\": ",
                          dev->simulated ? "true" : "false");
        jstring(&b, mode ? mode : "unknown");
        frt_strbuf_printf(&b, ", \"limit_bytes\": %zu, \"in_use_bytes\": %zu, "
                          "\"peak_bytes\": %zu, \"regions\": %zu, \"largest_free_bytes\": %zu, "
                          "\"num_allocs\": %zu, \"nodes\": %d",
                          limit, st.in_use, st.peak, st.regions, st.largest_free, st.num_allocs,
                          nodes[d]);
        /* the device allocator's regions, one by one, and how scattered their free memory is */
        size_t sizes[64];
        int nr = dev->alloc ? frt_bfc_region_sizes(dev->alloc, sizes, 64) : 0;
        frt_strbuf_printf(&b, ", \"region_sizes\": [");
        for (int r = 0; r < nr && r < 64; r++)
            frt_strbuf_printf(&b, "%s%zu", r ? ", " : "", sizes[r]);
        frt_strbuf_printf(&b, "], \"fragmentation\": %.4f}", frt_alloc_fragmentation(&base));
    }
    frt_strbuf_printf(&b, "\n  ],\n  \"copies\": {\"count\": %ld, \"bytes\": %ld}\n}\n",
                      copies, copy_bytes);
    if (b.oom) {
        frt_strbuf_free(&b);
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
