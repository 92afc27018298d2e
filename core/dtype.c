/* core/dtype.c: names and sizes of TensorFlow's DataType values.
 * Owns: the dtype table. Thread-safety: immutable. */
#include "core/dtype.h"
#include "core/status.h"

#include <string.h>

static const struct {
    frt_dtype dt;
    const char *name, *tf_name;
    size_t size;
} table[] = {
    {FRT_DTYPE_FLOAT, "float32", "DT_FLOAT", 4},
    {FRT_DTYPE_DOUBLE, "float64", "DT_DOUBLE", 8},
    {FRT_DTYPE_INT32, "int32", "DT_INT32", 4},
    {FRT_DTYPE_UINT8, "uint8", "DT_UINT8", 1},
    {FRT_DTYPE_INT16, "int16", "DT_INT16", 2},
    {FRT_DTYPE_INT8, "int8", "DT_INT8", 1},
    {FRT_DTYPE_STRING, "string", "DT_STRING", 0},
    {FRT_DTYPE_COMPLEX64, "complex64", "DT_COMPLEX64", 8},
    {FRT_DTYPE_INT64, "int64", "DT_INT64", 8},
    {FRT_DTYPE_BOOL, "bool", "DT_BOOL", 1},
    {FRT_DTYPE_QINT8, "qint8", "DT_QINT8", 1},
    {FRT_DTYPE_QUINT8, "quint8", "DT_QUINT8", 1},
    {FRT_DTYPE_QINT32, "qint32", "DT_QINT32", 4},
    {FRT_DTYPE_BFLOAT16, "bfloat16", "DT_BFLOAT16", 2},
    {FRT_DTYPE_QINT16, "qint16", "DT_QINT16", 2},
    {FRT_DTYPE_QUINT16, "quint16", "DT_QUINT16", 2},
    {FRT_DTYPE_UINT16, "uint16", "DT_UINT16", 2},
    {FRT_DTYPE_COMPLEX128, "complex128", "DT_COMPLEX128", 16},
    {FRT_DTYPE_HALF, "float16", "DT_HALF", 2},
    {FRT_DTYPE_RESOURCE, "resource", "DT_RESOURCE", 0},
    {FRT_DTYPE_VARIANT, "variant", "DT_VARIANT", 0},
    {FRT_DTYPE_UINT32, "uint32", "DT_UINT32", 4},
    {FRT_DTYPE_UINT64, "uint64", "DT_UINT64", 8},
};

static int find(int v) {
    for (size_t i = 0; i < FRT_COUNTOF(table); i++)
        if ((int)table[i].dt == v) return (int)i;
    return -1;
}

const char *frt_dtype_name(frt_dtype dt) {
    int i = find(dt);
    return i < 0 ? "invalid" : table[i].name;
}
const char *frt_dtype_tf_name(frt_dtype dt) {
    int i = find(dt);
    return i < 0 ? "DT_INVALID" : table[i].tf_name;
}
size_t frt_dtype_size(frt_dtype dt) {
    int i = find(dt);
    return i < 0 ? 0 : table[i].size;
}
bool frt_dtype_is_valid(int v) { return find(frt_dtype_base(v)) >= 0; }

frt_dtype frt_dtype_from_tf_name(const char *name) {
    for (size_t i = 0; i < FRT_COUNTOF(table); i++) {
        if (strcmp(table[i].tf_name, name) == 0) return table[i].dt;
        /* DT_FLOAT_REF and friends */
        size_t n = strlen(table[i].tf_name);
        if (strncmp(table[i].tf_name, name, n) == 0 && strcmp(name + n, "_REF") == 0)
            return table[i].dt;
    }
    return FRT_DTYPE_INVALID;
}
