/* tests/graph/test_prune.c: reachability over data and control edges, feeds cutting the
 * walk, targets, and nodes nobody needs (unknown ops included) left out. */
#include "util/graph_util.h"
#include "util/test_util.h"

#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/prune.h"

enum { X, Y, INIT, MUL, ADD, SQ, UNPACK, SIDE, CUSTOM, LONELY, PROBE, N_NODES };

/* x, y -> mul(x, y) -> tu_add_node(mul, y, ^init) ; sq(x) ; unpack(y) with 2 outputs;
 * side = Identity(unpack:1) ; custom = SomeCustomOp(x) (unknown op) ; lonely = NoOp ;
 * probe = Identity(unpack:0, ^side). */
static frt_graph *build(void) {
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "x", "Placeholder", NULL);
    tu_add_node(g, "y", "Placeholder", NULL);
    tu_add_node(g, "init", "NoOp", NULL);
    tu_add_node(g, "mul", "Mul", "x,y");
    tu_add_node(g, "add", "AddV2", "mul,y,^init");
    tu_add_node(g, "sq", "Square", "x");
    int u = tu_add_node(g, "unpack", "Unpack", "y");
    tu_attr_int(&frt_graph_node(g, u)->attrs, "num", 2);
    tu_add_node(g, "side", "Identity", "unpack:1");
    tu_add_node(g, "custom", "SomeCustomOp", "x");
    tu_add_node(g, "lonely", "NoOp", NULL);
    tu_add_node(g, "probe", "Identity", "unpack:0,^side");
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void expect(const bool *keep, const int *want, int n_want) {
    bool w[N_NODES] = {0};
    for (int i = 0; i < n_want; i++) w[want[i]] = true;
    for (int i = 0; i < N_NODES; i++)
        if (keep[i] != w[i]) fail_msg("node %d: keep = %d, expected %d", i, keep[i], w[i]);
}

static void data_and_control_reachability(void **state) {
    (void)state;
    frt_graph *g = build();
    bool keep[N_NODES];
    frt_edge f = {ADD, 0};
    TU_OK(frt_graph_prune(g, NULL, 0, &f, 1, NULL, 0, keep));
    expect(keep, (int[]){X, Y, INIT, MUL, ADD}, 5);
    /* probe needs side through a control edge, which needs unpack. */
    f = (frt_edge){PROBE, 0};
    TU_OK(frt_graph_prune(g, NULL, 0, &f, 1, NULL, 0, keep));
    expect(keep, (int[]){Y, UNPACK, SIDE, PROBE}, 4);
    frt_graph_free(g);
}

static void feeds_cut_the_walk(void **state) {
    (void)state;
    frt_graph *g = build();
    bool keep[N_NODES];
    /* Feeding mul:0 cuts x (and mul itself); y is still needed directly by add. */
    frt_edge feeds[] = {{MUL, 0}};
    frt_edge f = {ADD, 0};
    TU_OK(frt_graph_prune(g, feeds, 1, &f, 1, NULL, 0, keep));
    expect(keep, (int[]){Y, INIT, ADD}, 3);
    /* A fetched tensor that is fed needs nothing. */
    f = (frt_edge){MUL, 0};
    TU_OK(frt_graph_prune(g, feeds, 1, &f, 1, NULL, 0, keep));
    expect(keep, NULL, 0);
    /* Feeding unpack:0 does not cut unpack:1, which probe reaches through ^side. */
    frt_edge feeds2[] = {{UNPACK, 0}};
    f = (frt_edge){PROBE, 0};
    TU_OK(frt_graph_prune(g, feeds2, 1, &f, 1, NULL, 0, keep));
    expect(keep, (int[]){Y, UNPACK, SIDE, PROBE}, 4);
    /* Feeding both unpack outputs leaves unpack out. */
    frt_edge feeds3[] = {{UNPACK, 0}, {UNPACK, 1}};
    TU_OK(frt_graph_prune(g, feeds3, 2, &f, 1, NULL, 0, keep));
    expect(keep, (int[]){SIDE, PROBE}, 2);
    /* A fed Placeholder is not needed. */
    frt_edge feeds4[] = {{X, 0}};
    f = (frt_edge){SQ, 0};
    TU_OK(frt_graph_prune(g, feeds4, 1, &f, 1, NULL, 0, keep));
    expect(keep, (int[]){SQ}, 1);
    frt_graph_free(g);
}

static void targets_are_kept(void **state) {
    (void)state;
    frt_graph *g = build();
    bool keep[N_NODES];
    int targets[] = {INIT, SIDE};
    frt_edge f = {SQ, 0};
    TU_OK(frt_graph_prune(g, NULL, 0, &f, 1, targets, 2, keep));
    expect(keep, (int[]){X, SQ, INIT, SIDE, UNPACK, Y}, 6);
    /* Nothing asked: nothing kept (custom and lonely never are). */
    TU_OK(frt_graph_prune(g, NULL, 0, NULL, 0, NULL, 0, keep));
    expect(keep, NULL, 0);
    /* The unknown op is kept only when asked for. */
    int t2 = CUSTOM;
    TU_OK(frt_graph_prune(g, NULL, 0, NULL, 0, &t2, 1, keep));
    expect(keep, (int[]){X, CUSTOM}, 2);
    frt_graph_free(g);
}

static void bad_requests_are_errors(void **state) {
    (void)state;
    frt_graph *g = build();
    bool keep[N_NODES];
    frt_edge f = {UNPACK, 2};
    tu_assert_error(frt_graph_prune(g, NULL, 0, &f, 1, NULL, 0, keep), FRT_INVALID_ARGUMENT,
                    "'unpack:2' is out of range");
    f = (frt_edge){N_NODES, 0};
    tu_assert_error(frt_graph_prune(g, NULL, 0, &f, 1, NULL, 0, keep), FRT_INVALID_ARGUMENT,
                    "outside the graph");
    int t = -1;
    tu_assert_error(frt_graph_prune(g, NULL, 0, NULL, 0, &t, 1, keep), FRT_INVALID_ARGUMENT,
                    "target 0");
    frt_graph_free(g);
    g = frt_graph_new();
    tu_add_node(g, "x", "Placeholder", NULL);
    bool k1[1];
    tu_assert_error(frt_graph_prune(g, NULL, 0, NULL, 0, NULL, 0, k1), FRT_FAILED_PRECONDITION,
                    "finalized");
    frt_graph_free(g);
}

static void loops_walk_back_edges(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "start", "Placeholder", NULL);
    int e = tu_add_node(g, "enter", "Enter", "start");
    tu_attr_str(&frt_graph_node(g, e)->attrs, "frame_name", "f");
    int m = tu_add_node(g, "merge", "Merge", "enter,next");
    tu_attr_int(&frt_graph_node(g, m)->attrs, "N", 2);
    tu_add_node(g, "body", "Identity", "merge");
    int next = tu_add_node(g, "next", "NextIteration", "body");
    int ex = tu_add_node(g, "exit", "Exit", "merge");
    TU_OK(frt_graph_finalize(g));
    bool keep[6];
    frt_edge f = {ex, 0};
    TU_OK(frt_graph_prune(g, NULL, 0, &f, 1, NULL, 0, keep));
    for (int i = 0; i < 6; i++) assert_true(keep[i]);
    assert_true(keep[next]);
    frt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(data_and_control_reachability),
        cmocka_unit_test(feeds_cut_the_walk),
        cmocka_unit_test(targets_are_kept),
        cmocka_unit_test(bad_requests_are_errors),
        cmocka_unit_test(loops_walk_back_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
