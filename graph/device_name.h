/* graph/device_name.h: TensorFlow device names ("/job:localhost/replica:0/task:0/device:GPU:0"
 * and every partial or legacy form a NodeDef's `device` may hold), parsed, printed and
 * matched with the rules of TF's DeviceNameUtils (tsl/util/device_name_utils.cc).
 * Owns: the syntax, canonical formatting, "does this spec match that device", merging specs.
 * Does not own: which devices exist or what runs on them (graph/place.h's caller).
 * Thread-safety: reentrant; a parsed name borrows the string it was parsed from. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* A parsed (possibly partial) device name. A field is "absent" when has_x is false: not
 * written, or written as "*". job and type point into the parsed string (legacy "/cpu:N"
 * and "/gpu:N" point to static "CPU" / "GPU"): the name is valid while that string lives. */
typedef struct frt_device_name {
    bool has_job, has_replica, has_task, has_type, has_id;
    const char *job;
    size_t job_len;
    int replica, task;
    const char *type;
    size_t type_len;
    int id;
} frt_device_name;

/* Parses s as TF's ParseFullName does: "" and "/" are the empty spec; otherwise a sequence,
 * in any order, of "/job:NAME", "/replica:N", "/task:N", "/device:TYPE[:N]" and the legacy
 * "/cpu:N", "/CPU:N", "/gpu:N", "/GPU:N" (which mean /device:CPU:N, /device:GPU:N; other
 * spellings such as "/Gpu:0" are invalid). Any field may be "*" (absent). NAME and TYPE
 * start with a letter and go on with letters, digits and '_'; TYPE keeps its case
 * ("/device:gpu:0" names type "gpu", which no "GPU" device matches, as in TF); N is a
 * decimal number (no sign) up to INT_MAX. A later part overrides an earlier one.
 * INVALID_ARGUMENT naming s and what was expected where when it does not parse. */
FRT_MUST_USE frt_status *frt_device_name_parse(const char *s, frt_device_name *out);
/* TF's ParseLocalName: exactly "TYPE:N" (e.g. "GPU:0", "CPU:10"). TF's placer does not
 * accept this form in a NodeDef (ParseFullName fails on it); eager device strings and
 * device filters do (ParseFullOrLocalName). */
FRT_MUST_USE frt_status *frt_device_name_parse_local(const char *s, frt_device_name *out);
/* Full form first, then the local one (TF's ParseFullOrLocalName). */
FRT_MUST_USE frt_status *frt_device_name_parse_any(const char *s, frt_device_name *out);

/* Whether any field is present (TF's HasSomeDetails): "" and "/job:*" have none. */
bool frt_device_name_has_details(const frt_device_name *n);

/* TF's ParsedNameToString: the present fields in canonical order, "/device:TYPE:*" when the
 * type is present without an id, "" for the empty spec. Writes at most cap bytes (always
 * NUL-terminated when cap > 0) and returns the full length, as snprintf does. */
size_t frt_device_name_format(const frt_device_name *n, char *buf, size_t cap);
/* The canonical full name of a local device: "/job:localhost/replica:0/task:0/device:TYPE:ID".
 * Same return convention as frt_device_name_format. */
size_t frt_device_name_full(const char *type, int id, char *buf, size_t cap);

/* Whether every field present in spec is present in name with the same value (TF's
 * IsSpecification(spec, name)): "/device:GPU:*" matches ".../device:GPU:1". */
bool frt_device_name_matches(const frt_device_name *spec, const frt_device_name *name);
/* Whether no field is present in both with different values (TF's AreCompatibleDevNames). */
bool frt_device_name_compatible(const frt_device_name *a, const frt_device_name *b);
/* TF's MergeDevNames with soft placement allowed: fields of other fill those absent from
 * target; a field present in both with different values is dropped from target (a type
 * conflict drops the id too). Returns false when something was dropped. */
bool frt_device_name_merge(frt_device_name *target, const frt_device_name *other);
