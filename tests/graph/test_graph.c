/* tests/graph/test_graph.c: the graph IR's storage (graph/graph.c): a node's input list grows
 * geometrically, so a node with hundreds of thousands of inputs (a hostile or generated
 * file) is built with a handful of reallocations instead of one per input, and validates. */
#include "util/graph_util.h"
#include "util/test_util.h"

#include <stdlib.h>

#include "graph/graph.h"

#define WIDE 200000

static void wide_node_grows_geometrically(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    frt_tensor *one = tu_scalar_f32(1);
    tu_add_const(g, "c", one);
    frt_tensor_unref(one);
    tu_add_node(g, "init", "NoOp", NULL);
    int sum = tu_add_node(g, "sum", "AddN", NULL);
    frt_node *n = frt_graph_node(g, sum); /* no node is added while n is in use */
    /* The array is reallocated exactly when the capacity changes, so counting capacity
     * changes counts reallocations. */
    int grows = 0, cap = n->cap_inputs;
    for (int i = 0; i < WIDE; i++) {
        frt_node_add_input(n, i % 2 ? "c" : "c:0");
        assert_true(n->cap_inputs >= n->n_inputs);
        if (n->cap_inputs != cap) {
            grows++;
            cap = n->cap_inputs;
        }
    }
    frt_node_add_input(n, "^init");
    assert_int_equal(n->n_inputs, WIDE + 1);
    assert_true(n->cap_inputs < 2 * (WIDE + 1)); /* doubling never overshoots by 2x */
    assert_in_range(grows, 1, 20);                 /* log2(200001) is under 18 */
    assert_string_equal(n->inputs[WIDE - 1], "c");
    assert_string_equal(n->inputs[WIDE], "^init");

    tu_attr_int(tu_node_attrs(g, sum), "N", WIDE);
    tu_attr_type(tu_node_attrs(g, sum), "T", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));
    n = frt_graph_node(g, sum);
    assert_int_equal(n->n_data, WIDE);
    assert_int_equal(n->n_ctrl, 1);
    assert_int_equal(n->data[WIDE - 1].node, frt_graph_find(g, "c"));
    frt_graph_free(g);
}

/* Emptying the list (as inlining does before re-filling a call node) keeps the capacity:
 * the array is reused, not leaked or overrun. */
static void emptied_node_reuses_its_array(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    int x = tu_add_node(g, "x", "NoOp", "a,b,c,d,e");
    frt_node *n = frt_graph_node(g, x);
    int cap = n->cap_inputs;
    char **inputs = n->inputs;
    for (int k = 0; k < n->n_inputs; k++) free(n->inputs[k]);
    n->n_inputs = 0;
    frt_node_add_input(n, "^y");
    assert_ptr_equal(n->inputs, inputs);
    assert_int_equal(n->cap_inputs, cap);
    assert_int_equal(n->n_inputs, 1);
    assert_string_equal(n->inputs[0], "^y");
    frt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wide_node_grows_geometrically),
        cmocka_unit_test(emptied_node_reuses_its_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
