/* graph/device_name.c: parsing, printing, matching and merging TF device names.
 * Owns: the grammar of device strings (TF's DeviceNameUtils: ParseFullName, ParseLocalName,
 * ParsedNameToString, IsSpecification, AreCompatibleDevNames, MergeDevNames).
 * Does not own: the devices of a process or placement (graph/place.c).
 * Thread-safety: reentrant; no state. */
#include "graph/device_name.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

/* A cursor over the string being parsed; `want` says what was expected when it stopped. */
typedef struct cursor {
    const char *s, *p;
    const char *want;
} cursor;

static bool eat(cursor *c, const char *prefix) {
    size_t n = strlen(prefix);
    if (strncmp(c->p, prefix, n) != 0) return false;
    c->p += n;
    return true;
}

/* A job name or device type: a letter, then letters, digits and '_' up to a terminator
 * ('/' for jobs, '/' or ':' for types) or the end. Anything else there is an error. */
static bool eat_word(cursor *c, const char *terminators, const char **w, size_t *len) {
    const char *q = c->p;
    if (!is_alpha(*q)) return false;
    while (*q && !strchr(terminators, *q)) {
        if (!is_word(*q)) return false;
        q++;
    }
    *w = c->p;
    *len = (size_t)(q - c->p);
    c->p = q;
    return true;
}

/* Decimal digits (at least one) up to INT_MAX. TF reads them into a uint64 and truncates
 * to int; a number past INT_MAX is refused here rather than wrapped. */
static bool eat_number(cursor *c, int *v) {
    if (!is_digit(*c->p)) return false;
    long long x = 0;
    while (is_digit(*c->p)) {
        x = x * 10 + (*c->p++ - '0');
        if (x > INT_MAX) return false;
    }
    *v = (int)x;
    return true;
}

/* "*" (absent) or a number. */
static bool eat_star_or_number(cursor *c, bool *has, int *v) {
    *has = !eat(c, "*");
    if (*has && !eat_number(c, v)) {
        c->want = "a number or '*'";
        return false;
    }
    return true;
}

static bool eat_legacy(cursor *c, frt_device_name *n) {
    static const char *const forms[][2] = {
        {"/cpu:", "CPU"}, {"/CPU:", "CPU"}, {"/gpu:", "GPU"}, {"/GPU:", "GPU"}};
    for (size_t i = 0; i < FRT_COUNTOF(forms); i++) {
        if (!eat(c, forms[i][0])) continue;
        n->has_type = true;
        n->type = forms[i][1];
        n->type_len = 3;
        return eat_star_or_number(c, &n->has_id, &n->id);
    }
    return true;
}

/* One "/device:TYPE[:N]" part, after its prefix: TYPE may be "*", and ":N" may be left out. */
static bool eat_device(cursor *c, frt_device_name *n) {
    n->has_type = !eat(c, "*");
    if (n->has_type && !eat_word(c, "/:", &n->type, &n->type_len)) {
        c->want = "a device type (a letter, then letters, digits or '_') or '*'";
        return false;
    }
    if (!eat(c, ":")) {
        n->has_id = false;
        return true;
    }
    return eat_star_or_number(c, &n->has_id, &n->id);
}

/* One pass of TF's loop: each kind of part at most once, in canonical order. Returns false
 * on a syntax error; *progress says whether anything was consumed. */
static bool eat_parts(cursor *c, frt_device_name *n, bool *progress) {
    const char *start = c->p;
    if (eat(c, "/job:")) {
        n->has_job = !eat(c, "*");
        if (n->has_job && !eat_word(c, "/", &n->job, &n->job_len)) {
            c->want = "a job name (a letter, then letters, digits or '_') or '*'";
            return false;
        }
    }
    if (eat(c, "/replica:") && !eat_star_or_number(c, &n->has_replica, &n->replica))
        return false;
    if (eat(c, "/task:") && !eat_star_or_number(c, &n->has_task, &n->task)) return false;
    if (eat(c, "/device:") && !eat_device(c, n)) return false;
    if (!eat_legacy(c, n)) return false;
    *progress = c->p != start;
    if (!*progress)
        c->want = "/job:, /replica:, /task:, /device: or a legacy /cpu: or /gpu: part";
    return *progress;
}

static frt_status *bad_name(const cursor *c) {
    return frt_status_new(FRT_INVALID_ARGUMENT,
                          "malformed device name '%s': at offset %d ('%s') expected %s", c->s,
                          (int)(c->p - c->s), c->p, c->want);
}

frt_status *frt_device_name_parse(const char *s, frt_device_name *out) {
    memset(out, 0, sizeof *out);
    cursor c = {s, s, NULL};
    if (strcmp(s, "/") == 0) return NULL;
    while (*c.p) {
        bool progress = false;
        if (!eat_parts(&c, out, &progress)) {
            memset(out, 0, sizeof *out);
            return bad_name(&c);
        }
    }
    return NULL;
}

frt_status *frt_device_name_parse_local(const char *s, frt_device_name *out) {
    memset(out, 0, sizeof *out);
    cursor c = {s, s, NULL};
    if (!eat_word(&c, "/:", &out->type, &out->type_len)) {
        c.want = "a device type";
    } else if (!eat(&c, ":")) {
        c.want = "':'";
    } else if (!eat_number(&c, &out->id)) {
        c.want = "a device number";
    } else if (*c.p) {
        c.want = "the end of the name";
    } else {
        out->has_type = out->has_id = true;
        return NULL;
    }
    memset(out, 0, sizeof *out);
    return bad_name(&c);
}

frt_status *frt_device_name_parse_any(const char *s, frt_device_name *out) {
    frt_status *st = frt_device_name_parse(s, out);
    if (!st) return NULL;
    frt_status *local = frt_device_name_parse_local(s, out);
    if (!local) {
        frt_status_free(st);
        return NULL;
    }
    frt_status_free(local);
    return st;
}

bool frt_device_name_has_details(const frt_device_name *n) {
    return n->has_job || n->has_replica || n->has_task || n->has_type || n->has_id;
}

/* Appends printf output at *len (past cap only counted), as snprintf would. */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...) FRT_PRINTF(4, 5);
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = *len < cap ? buf + *len : NULL;
    int k = vsnprintf(at, at ? cap - *len : 0, fmt, ap);
    va_end(ap);
    if (k > 0) *len += (size_t)k;
}

size_t frt_device_name_format(const frt_device_name *n, char *buf, size_t cap) {
    size_t len = 0;
    if (cap) buf[0] = '\0';
    if (n->has_job) put(buf, cap, &len, "/job:%.*s", (int)n->job_len, n->job);
    if (n->has_replica) put(buf, cap, &len, "/replica:%d", n->replica);
    if (n->has_task) put(buf, cap, &len, "/task:%d", n->task);
    if (n->has_type) {
        put(buf, cap, &len, "/device:%.*s:", (int)n->type_len, n->type);
        if (n->has_id)
            put(buf, cap, &len, "%d", n->id);
        else
            put(buf, cap, &len, "*");
    }
    return len;
}

size_t frt_device_name_full(const char *type, int id, char *buf, size_t cap) {
    size_t len = 0;
    if (cap) buf[0] = '\0';
    put(buf, cap, &len, "/job:localhost/replica:0/task:0/device:%s:%d", type, id);
    return len;
}

static bool same_str(const char *a, size_t al, const char *b, size_t bl) {
    return al == bl && memcmp(a, b, al) == 0;
}

/* Whether a and b both have a field and disagree on it; type and id first, as TF's merge
 * treats them apart. */
static bool job_differs(const frt_device_name *a, const frt_device_name *b) {
    return a->has_job && b->has_job && !same_str(a->job, a->job_len, b->job, b->job_len);
}
static bool type_differs(const frt_device_name *a, const frt_device_name *b) {
    return a->has_type && b->has_type && !same_str(a->type, a->type_len, b->type, b->type_len);
}

bool frt_device_name_compatible(const frt_device_name *a, const frt_device_name *b) {
    if (job_differs(a, b) || type_differs(a, b)) return false;
    if (a->has_replica && b->has_replica && a->replica != b->replica) return false;
    if (a->has_task && b->has_task && a->task != b->task) return false;
    if (a->has_id && b->has_id && a->id != b->id) return false;
    return true;
}

bool frt_device_name_matches(const frt_device_name *spec, const frt_device_name *name) {
    if ((spec->has_job && !name->has_job) || (spec->has_replica && !name->has_replica) ||
        (spec->has_task && !name->has_task) || (spec->has_type && !name->has_type) ||
        (spec->has_id && !name->has_id))
        return false;
    return frt_device_name_compatible(spec, name);
}

/* Merges one int field: other's value fills an absent one; a conflict drops it. */
static bool merge_int(bool *has, int *v, bool other_has, int other_v) {
    if (!other_has) return true;
    if (*has && *v != other_v) {
        *has = false;
        return false;
    }
    *has = true;
    *v = other_v;
    return true;
}

bool frt_device_name_merge(frt_device_name *t, const frt_device_name *o) {
    bool clean = true;
    if (o->has_job) {
        if (job_differs(t, o)) {
            t->has_job = false;
            clean = false;
        } else {
            t->has_job = true;
            t->job = o->job;
            t->job_len = o->job_len;
        }
    }
    clean &= merge_int(&t->has_replica, &t->replica, o->has_replica, o->replica);
    clean &= merge_int(&t->has_task, &t->task, o->has_task, o->task);
    if (o->has_type) {
        if (type_differs(t, o)) {
            /* TF: a type conflict under soft placement leaves neither type nor id. */
            t->has_type = t->has_id = false;
            return false;
        }
        t->has_type = true;
        t->type = o->type;
        t->type_len = o->type_len;
    }
    clean &= merge_int(&t->has_id, &t->id, o->has_id, o->id);
    return clean;
}
