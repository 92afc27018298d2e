/* io/checkpoint.c: the public frt_checkpoint_* API (include/flowrt/flowrt.h) over io/bundle.
 * Owns: resolving a directory through its `checkpoint` state file (CheckpointState, text
 * format, at most 1 MiB, a regular file; relative paths are joined with the directory, as
 * TF's get_checkpoint_state does).
 * Does not own: the bundle format (io/bundle.c).
 * Thread-safety: a handle is immutable after open; reads may run concurrently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stdbool.h>

#include "io/bundle.h"
#include "io/file.h"
#include "io/proto/checkpoint_state.pb-c.h"
#include "io/sstable.h"
#include "io/text_format.h"

/* A `checkpoint` state file is a few lines of text (one path per kept checkpoint; TF keeps
 * 5 by default); anything bigger is not one, and is refused before it is read. */
#define FRT_CHECKPOINT_STATE_MAX (1u << 20)

struct frt_checkpoint {
    frt_bundle *b;
};

/* The prefix named by dir/checkpoint. */
static frt_status *resolve_dir(const char *dir, char **prefix) {
    char *path = frt_path_join(dir, "checkpoint");
    if (!path) return frt_status_oom("opening checkpoint directory '%s'", dir);
    uint8_t *text;
    size_t len;
    frt_status *st = frt_file_read(path, "checkpoint state", FRT_CHECKPOINT_STATE_MAX, &text,
                                   &len);
    if (st) {
        if (frt_status_code(st) == FRT_NOT_FOUND) {
            frt_status_free(st);
            st = frt_status_new(FRT_NOT_FOUND, "no checkpoint state file '%s' in directory "
                                "'%s'", path, dir);
        }
        free(path);
        return st;
    }
    ProtobufCMessage *msg = NULL;
    st = frt_text_format_parse((const char *)text, len, &tensorflow__checkpoint_state__descriptor,
                               path, &msg);
    free(text);
    if (st && frt_status_code(st) != FRT_RESOURCE_EXHAUSTED) {
        frt_status *d = frt_status_new(FRT_DATA_LOSS, "bad checkpoint state file: %s",
                                       frt_status_message(st));
        frt_status_free(st);
        free(path);
        return d;
    }
    if (st) {
        free(path);
        return st;
    }
    Tensorflow__CheckpointState *cs = (Tensorflow__CheckpointState *)msg;
    const char *p = cs->model_checkpoint_path;
    if (!p || !p[0]) {
        st = frt_status_new(FRT_NOT_FOUND, "checkpoint state file '%s' names no "
                            "model_checkpoint_path", path);
    } else if (p[0] == '/') {
        *prefix = frt_strdup(p);
    } else {
        *prefix = frt_path_join(dir, p);
    }
    if (!st && !*prefix) st = frt_status_oom("reading checkpoint state file '%s'", path);
    protobuf_c_message_free_unpacked(msg, NULL);
    free(path);
    return st;
}

frt_status *frt_checkpoint_open(const char *path, frt_checkpoint **out) {
    return frt_checkpoint_open_flags(path, 0, out);
}

frt_status *frt_checkpoint_open_flags(const char *path, unsigned flags, frt_checkpoint **out) {
    *out = NULL;
    struct stat sb;
    char *prefix = NULL;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) FRT_TRY(resolve_dir(path, &prefix));
    frt_bundle *b = NULL;
    unsigned bf = (flags & FRT_CHECKPOINT_ZERO_COPY) ? FRT_BUNDLE_ZERO_COPY : 0;
    frt_status *st = frt_bundle_open_flags(prefix ? prefix : path, bf, &b);
    free(prefix);
    if (st) return st;
    frt_checkpoint *c = frt_calloc(1, sizeof *c);
    if (!c) {
        frt_bundle_free(b);
        return frt_status_oom("opening checkpoint '%s'", path);
    }
    c->b = b;
    *out = c;
    return NULL;
}

void frt_checkpoint_close(frt_checkpoint *c) {
    if (!c) return;
    frt_bundle_free(c->b);
    free(c);
}

const char *frt_checkpoint_prefix(const frt_checkpoint *c) { return frt_bundle_prefix(c->b); }
int frt_checkpoint_num_tensors(const frt_checkpoint *c) { return frt_bundle_num_tensors(c->b); }
/* Out-of-range indices give NULL / FRT_DTYPE_INVALID / -1, like the frt_model_* accessors. */
static bool in_range(const frt_checkpoint *c, int i) {
    return i >= 0 && i < frt_bundle_num_tensors(c->b);
}
const char *frt_checkpoint_tensor_name(const frt_checkpoint *c, int i) {
    return in_range(c, i) ? frt_bundle_tensor_name(c->b, i) : NULL;
}
frt_dtype frt_checkpoint_tensor_dtype(const frt_checkpoint *c, int i) {
    return in_range(c, i) ? frt_bundle_tensor_dtype(c->b, i) : FRT_DTYPE_INVALID;
}
int frt_checkpoint_tensor_shape(const frt_checkpoint *c, int i, int64_t *dims) {
    return in_range(c, i) ? frt_bundle_tensor_shape(c->b, i, dims) : -1;
}
frt_status *frt_checkpoint_read(const frt_checkpoint *c, const char *name, frt_tensor **out) {
    return frt_bundle_read(c->b, name, out);
}
