/* io/proto_depth.c: the nesting depth of binary protobuf bytes, found without recursion.
 * Owns: a wire-format walk (varints, fixed widths, length-delimited fields) driven by
 * protobuf-c's descriptors, with an explicit stack of at most FRT_PROTO_MAX_DEPTH frames;
 * refusing broken framing; counting NodeDef messages on the way.
 * Does not own: decoding (protobuf-c's unpack, once this has said yes), what messages mean.
 * Thread-safety: reentrant. */
#include "io/proto_depth.h"

#include <stdio.h>
#include <string.h>

#include "io/proto/node_def.pb-c.h"

/* One message being walked: its type, where its bytes end, and the field that holds it. */
typedef struct frame {
    const ProtobufCMessageDescriptor *d;
    size_t end;
    const char *field;
} frame;

static bool read_varint(const uint8_t *p, size_t end, size_t *pos, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *pos < end; shift += 7) {
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* "node.attr.value.func.attr.value…": the first few field names of the path to the frame
 * that went too deep, so the message shows where the nesting is. */
static void path_of(const frame *st, int n, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 1; i < n && k < cap; i++) {
        int w = i > 8 ? snprintf(buf + k, cap - k, "...")
                      : snprintf(buf + k, cap - k, "%s%s", i > 1 ? "." : "", st[i].field);
        if (w < 0 || i > 8) return;
        k += (size_t)w;
    }
}

frt_status *frt_proto_check_depth(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                  size_t len, const char *name, size_t *node_defs) {
    frame st[FRT_PROTO_MAX_DEPTH + 1];
    size_t nodes = 0;
    int n = 1;
    st[0] = (frame){d, len, ""};
    size_t pos = 0;
    while (n > 0) {
        frame *top = &st[n - 1];
        if (pos == top->end) {
            n--;
            continue;
        }
        uint64_t tag, v;
        if (!read_varint(data, top->end, &pos, &tag) || (tag >> 3) == 0 ||
            (tag >> 3) > UINT32_MAX)
            goto broken;
        switch (tag & 7) {
        case 0:
            if (!read_varint(data, top->end, &pos, &v)) goto broken;
            break;
        case 1:
        case 5: {
            size_t w = (tag & 7) == 1 ? 8 : 4;
            if (top->end - pos < w) goto broken;
            pos += w;
            break;
        }
        case 2: {
            if (!read_varint(data, top->end, &pos, &v) || v > top->end - pos) goto broken;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(top->d, (unsigned)(tag >> 3));
            if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE) {
                pos += (size_t)v;
                break;
            }
            if (n > FRT_PROTO_MAX_DEPTH) {
                char path[160];
                path_of(st, n, path, sizeof path);
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "'%s': %s nests messages deeper than %d levels (at %s), "
                                      "the limit protobuf itself sets; refusing to decode it",
                                      name, d->name, FRT_PROTO_MAX_DEPTH, path);
            }
            st[n++] = (frame){f->descriptor, pos + (size_t)v, f->name};
            nodes += f->descriptor == &tensorflow__node_def__descriptor;
            break;
        }
        default: goto broken;
        }
    }
    if (node_defs) *node_defs = nodes;
    return NULL;
broken:
    /* Refused here rather than left to unpack: a walk that gave up part-way would leave
     * whatever follows unchecked, should protobuf-c read these bytes more leniently. */
    return frt_status_new(FRT_DATA_LOSS,
                          "'%s': not a valid binary %s (truncated or corrupt: broken wire "
                          "format at byte %zu)",
                          name, d->short_name, pos);
}
