/* tools/cli/graph_util.c: model helpers the CLI shares through the public API: choosing the
 * loader for a path, shape printing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

const char *cli_shape_str(const frt_tensor *t, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < frt_tensor_ndim(t) && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld",
                              (long long)frt_tensor_dim(t, i));
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

frt_status *cli_load_model(const char *path, const char *const *tags, int ntags,
                           const char *checkpoint, frt_model **out) {
    struct stat sb;
    bool dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    size_t n = strlen(path);
    bool meta = n >= 5 && strcmp(path + n - 5, ".meta") == 0;
    if (dir) {
        if (checkpoint)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "--checkpoint is for .meta models; a SavedModel restores "
                                  "its own variables/ directory");
        return frt_model_load_saved_model(path, tags, ntags, out);
    }
    if (ntags > 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "--tag needs a SavedModel directory, "
                                                    "'%s' is not one", path);
    if (meta) return frt_model_load_meta(path, checkpoint, out);
    if (checkpoint)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "--checkpoint needs a .meta model; '%s' is a frozen graph", path);
    return frt_model_load(path, out);
}
