/* tests/io/test_proto_depth.c: deeply nested protobufs (issue 6, defect 2). protobuf-c's
 * unpack recurses once per nested message with no limit, so a small binary GraphDef nesting
 * AttrValue.func → NameAttrList.attr → AttrValue thousands deep overflowed the stack. Loaders
 * now measure the depth first (io/proto_depth.c) and refuse more than 100 levels, as
 * protobuf's own parser does; the text parser has the same limit. Each path a user can pass
 * (.pb, .pbtxt, .meta, saved_model.pb) is tried, also on a thread with a small stack. */
#include "util/test_util.h"

#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/graphdef.h"
#include "io/proto/graph.pb-c.h"
#include "io/proto_depth.h"
#include "core/status.h"

/* A buffer filled from its end, so messages are built from the innermost outwards. */
typedef struct rbuf {
    uint8_t *b;
    size_t cap, start; /* the content is b[start, cap) */
} rbuf;

static void rb_prepend(rbuf *r, const void *p, size_t n) {
    assert_true(n <= r->start);
    r->start -= n;
    memcpy(r->b + r->start, p, n);
}

static void rb_prepend_varint(rbuf *r, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    rb_prepend(r, tmp, n);
}

/* The whole current content becomes the length-delimited field `field`. */
static void rb_wrap(rbuf *r, unsigned field) {
    rb_prepend_varint(r, r->cap - r->start);
    rb_prepend_varint(r, (uint64_t)field << 3 | 2);
}

/* The string field `field` = s, in front of the content. */
static void rb_string(rbuf *r, unsigned field, const char *s) {
    rb_prepend(r, s, strlen(s));
    rb_prepend_varint(r, strlen(s));
    rb_prepend_varint(r, (uint64_t)field << 3 | 2);
}

/* One map entry {key: "a", value: <content>} wrapped as field `field`. */
static void rb_map_entry(rbuf *r, unsigned field) {
    rb_wrap(r, 2);
    rb_string(r, 1, "a");
    rb_wrap(r, field);
}

/* A binary GraphDef with one node whose attr "a" nests `levels` functions: AttrValue.func →
 * NameAttrList.attr["a"] → AttrValue … The innermost AttrValue holds `extra` more messages
 * (1: list {}, 2: list { func {} }). Messages nest 3 + 3 * levels + extra deep below the
 * GraphDef. With `wrappers`, the GraphDef is wrapped further (MetaGraphDef.graph_def, then
 * SavedModel.meta_graphs). */
static uint8_t *deep_graphdef(int levels, int extra, int wrappers, size_t *len) {
    rbuf r = {.cap = 64 + (size_t)levels * 32};
    r.b = malloc(r.cap);
    assert_non_null(r.b);
    r.start = r.cap;
    if (extra == 2) rb_wrap(&r, 9); /* ListValue.func: an empty NameAttrList */
    if (extra >= 1) rb_wrap(&r, 1); /* AttrValue.list */
    for (int i = 0; i < levels; i++) {
        rb_map_entry(&r, 2); /* NameAttrList.attr */
        rb_string(&r, 1, "f");
        rb_wrap(&r, 10); /* AttrValue.func */
    }
    rb_map_entry(&r, 5); /* NodeDef.attr */
    rb_string(&r, 2, "Const");
    rb_string(&r, 1, "n");
    rb_wrap(&r, 1); /* GraphDef.node */
    if (wrappers >= 1) rb_wrap(&r, 2); /* MetaGraphDef.graph_def */
    if (wrappers >= 2) rb_wrap(&r, 2); /* SavedModel.meta_graphs */
    *len = r.cap - r.start;
    memmove(r.b, r.b + r.start, *len);
    return r.b;
}

/* The same nesting in text format. */
static char *deep_text(int levels) {
    size_t cap = 64 + (size_t)levels * 64;
    char *t = malloc(cap), *p = t;
    assert_non_null(t);
    p += sprintf(p, "node { name: 'n' op: 'Const' attr { key: 'a' value {\n");
    for (int i = 0; i < levels; i++) p += sprintf(p, "func { name: 'f' attr { key: 'a' value { ");
    for (int i = 0; i < levels; i++) p += sprintf(p, "} } } ");
    sprintf(p, "} } }\n");
    return t;
}

static void check_depth_boundary(void **state) {
    (void)state;
    size_t len;
    /* 32 levels: 99, 100 and 101 messages below the GraphDef. */
    for (int extra = 0; extra <= 2; extra++) {
        uint8_t *b = deep_graphdef(32, extra, 0, &len);
        frt_status *st =
            frt_proto_check_depth(&tensorflow__graph_def__descriptor, b, len, "g.pb", NULL);
        if (extra < 2) {
            TU_OK(st);
            frt_graph *g = NULL;
            TU_OK(frt_graphdef_load_buffer(b, len, false, "g.pb", &g));
            frt_graph_free(g);
        } else {
            tu_assert_error(st, FRT_INVALID_ARGUMENT,
                            "'g.pb': tensorflow.GraphDef nests messages deeper than 100 levels "
                            "(at node.attr.value.func.attr.value.func.attr...)");
        }
        free(b);
    }
}

/* Broken framing is refused as DATA_LOSS naming the file, in the loaders' words: the walk
 * never gives up part-way and lets unchecked bytes through. A cut at a top-level field
 * boundary is a valid (shorter) message. */
static void check_refuses_broken_framing(void **state) {
    (void)state;
    size_t len;
    uint8_t *b = deep_graphdef(3, 0, 0, &len);
    int refused = 0;
    for (size_t cut = 1; cut < len; cut++) {
        frt_status *st =
            frt_proto_check_depth(&tensorflow__graph_def__descriptor, b, cut, "g.pb", NULL);
        if (st) {
            tu_assert_error(st, FRT_DATA_LOSS,
                            "'g.pb': not a valid binary GraphDef (truncated or corrupt");
            refused++;
        }
        frt_graph *g = NULL;
        st = frt_graphdef_load_buffer(b, cut, false, "g.pb", &g);
        if (st) {
            assert_non_null(strstr(frt_status_message(st), "g.pb"));
            frt_status_free(st);
        }
        frt_graph_free(g);
    }
    assert_int_equal(refused, (int)len - 1); /* one node: every cut is inside it */
    /* A group wire type, a zero field number, an over-long length, an endless varint. */
    static const uint8_t odd[][4] = {{0x0b, 0, 0, 0}, {0x02, 0x01, 0, 0}, {0x0a, 0x7f, 0, 0},
                                     {0x0a, 0xff, 0xff, 0xff}};
    for (size_t i = 0; i < FRT_COUNTOF(odd); i++)
        tu_assert_error(frt_proto_check_depth(&tensorflow__graph_def__descriptor, odd[i], 4,
                                              "g.pb", NULL),
                        FRT_DATA_LOSS, "broken wire format at byte");
    free(b);
}

/* Writes the deep model in every form a user can pass and loads each through the public API:
 * dir/deep.pb, dir/deep.pbtxt, dir/deep.meta, dir/sm/saved_model.pb. */
typedef struct deep_case {
    const char *dir;
    int levels;
    frt_status *st[4];
} deep_case;

static const char *const kForms[4] = {"deep.pb", "deep.pbtxt", "deep.meta", "sm"};

static void *load_all(void *arg) {
    deep_case *c = arg;
    for (int i = 0; i < 4; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", c->dir, kForms[i]);
        frt_model *m = NULL;
        c->st[i] = frt_model_load(path, &m);
        frt_model_free(m);
    }
    return NULL;
}

static void write_forms(const char *dir, int levels) {
    char path[1024];
    size_t len;
    uint8_t *b = deep_graphdef(levels, 0, 0, &len);
    snprintf(path, sizeof path, "%s/deep.pb", dir);
    tu_write_file(path, b, len);
    free(b);
    char *t = deep_text(levels);
    snprintf(path, sizeof path, "%s/deep.pbtxt", dir);
    tu_write_file(path, t, strlen(t));
    free(t);
    b = deep_graphdef(levels, 0, 1, &len);
    snprintf(path, sizeof path, "%s/deep.meta", dir);
    tu_write_file(path, b, len);
    free(b);
    snprintf(path, sizeof path, "%s/sm", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    b = deep_graphdef(levels, 0, 2, &len);
    snprintf(path, sizeof path, "%s/sm/saved_model.pb", dir);
    tu_write_file(path, b, len);
    free(b);
}

/* Runs load_all on a thread with a 256 KiB stack (glibc's default is 8 MiB; thread pools and
 * other libcs often give far less), or on this thread. */
static void load_on_small_stack(deep_case *c, bool small) {
    if (!small) {
        load_all(c);
        return;
    }
    pthread_attr_t a;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&a), 0);
    assert_int_equal(pthread_attr_setstacksize(&a, 256 << 10), 0);
    assert_int_equal(pthread_create(&t, &a, load_all, c), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&a);
}

static void hostile_depth_every_form(void **state) {
    (void)state;
    for (int small = 0; small <= 1; small++) {
        char *dir = tu_mkdtemp("depth");
        write_forms(dir, 20000); /* 60003 messages deep: ~330 KB binary */
        deep_case c = {.dir = dir};
        load_on_small_stack(&c, small);
        tu_assert_error(c.st[0], FRT_INVALID_ARGUMENT, "deep.pb': tensorflow.GraphDef nests "
                                                       "messages deeper than 100 levels");
        tu_assert_error(c.st[1], FRT_INVALID_ARGUMENT, "nested more than 100 deep");
        tu_assert_error(c.st[2], FRT_INVALID_ARGUMENT,
                        "deep.meta': tensorflow.MetaGraphDef nests messages deeper than 100");
        tu_assert_error(c.st[3], FRT_INVALID_ARGUMENT,
                        "saved_model.pb': tensorflow.SavedModel nests messages deeper than 100");
        tu_rmtree(dir);
        free(dir);
    }
}

/* The deepest model the limit allows loads, also on the small stack: the binary form at 99
 * levels below the GraphDef, and the text form at 31 functions (97 levels). The .meta and
 * SavedModel forms are one and two levels deeper, and have no signature or variables, so
 * they are only required to get past decoding (any error must not be the depth). */
static void deepest_allowed_loads_on_small_stack(void **state) {
    (void)state;
    for (int small = 0; small <= 1; small++) {
        char *dir = tu_mkdtemp("depth");
        write_forms(dir, 31);
        deep_case c = {.dir = dir};
        load_on_small_stack(&c, small);
        TU_OK(c.st[0]);
        TU_OK(c.st[1]);
        for (int i = 2; i < 4; i++) {
            if (!c.st[i]) continue;
            assert_null(strstr(frt_status_message(c.st[i]), "nests messages deeper"));
            frt_status_free(c.st[i]);
        }
        tu_rmtree(dir);
        free(dir);
    }
}

/* The node limit applies before unpacking on every binary path: NodeDefs are counted in the
 * depth walk, in a .pb, a .meta and a SavedModel alike (function bodies included), and a file
 * over the limit is refused without protobuf-c allocating its nodes. */
static void node_limit_before_unpacking_every_form(void **state) {
    (void)state;
    enum { NODES = 1500 };
    char *dir = tu_mkdtemp("nodes");
    for (int wrappers = 0; wrappers <= 2; wrappers++) {
        rbuf r = {.cap = 16 + 2 * NODES};
        r.b = malloc(r.cap);
        assert_non_null(r.b);
        r.start = r.cap;
        for (int i = 0; i < NODES; i++) rb_prepend(&r, "\x0a\x00", 2); /* node {} */
        if (wrappers >= 1) rb_wrap(&r, 2); /* MetaGraphDef.graph_def */
        if (wrappers >= 2) rb_wrap(&r, 2); /* SavedModel.meta_graphs */
        char path[1024];
        if (wrappers == 2) {
            snprintf(path, sizeof path, "%s/sm", dir);
            assert_int_equal(mkdir(path, 0755), 0);
            snprintf(path, sizeof path, "%s/sm/saved_model.pb", dir);
        } else {
            snprintf(path, sizeof path, "%s/nodes.%s", dir, wrappers ? "meta" : "pb");
        }
        tu_write_file(path, r.b + r.start, r.cap - r.start);
        free(r.b);
        if (wrappers == 2) snprintf(path, sizeof path, "%s/sm", dir);
        frt_graph_set_max_nodes_for_testing(NODES - 1);
        frt_testing_fail_alloc_after(LONG_MAX); /* counts allocations, fails none */
        frt_model *m = NULL;
        frt_status *st = frt_model_load(path, &m);
        long allocs = frt_testing_alloc_count();
        frt_testing_fail_alloc_after(0);
        frt_graph_set_max_nodes_for_testing(0);
        assert_null(m);
        tu_assert_error(st, FRT_INVALID_ARGUMENT, "has 1500 nodes, more than the 1499");
        if (allocs < 0 || allocs > 100)
            fail_msg("%s: %ld allocations: nodes unpacked before the limit", path, allocs);
    }
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_depth_boundary),
        cmocka_unit_test(check_refuses_broken_framing),
        cmocka_unit_test(hostile_depth_every_form),
        cmocka_unit_test(deepest_allowed_loads_on_small_stack),
        cmocka_unit_test(node_limit_before_unpacking_every_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
