/* cuda/cublas_load_real.c: cuBLAS loaded when first used, not when the program starts (the
 * real backend only; the simulation build has its own cuBLAS and never compiles *_real.c).
 * Linking libcublas pulls in libcublasLt, whose loading alone costs every process about
 * 210 MiB of resident memory and 0.2 s, and whose 92 KiB of static TLS is carved out of every
 * thread's stack, GPU or not. So, as TensorFlow does through its DSO loader, libflowrt links
 * only cudart and cuDNN's small front library, and defines here the cuBLAS functions flowrt
 * calls: each forwards to the real one from libcublas.so.<major>, opened once, on the first
 * call (cublasCreate, when a GPU's device is made).
 * Owns: the list of forwarded functions. A cuBLAS function used elsewhere in cuda/ and not
 * listed here fails the real build's link ("undefined reference"): add it to
 * CUBLAS_FUNCTIONS. The simulation's cublas_v2.h declares what flowrt uses: follow it.
 * Thread-safety: thread-safe (the library is opened and every function resolved under
 * pthread_once; the table is only read afterwards). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cublas_v2.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define NOT_LOADED CUBLAS_STATUS_NOT_INITIALIZED

/* X(return type, value when cuBLAS cannot be had, name, parameters, arguments): the cuBLAS
 * functions flowrt calls, prototypes as in NVIDIA's header (which the definitions below are
 * checked against). */
#define CUBLAS_FUNCTIONS(X)                                                                  \
    X(cublasStatus_t, NOT_LOADED, cublasCreate_v2, (cublasHandle_t * handle), (handle))      \
    X(cublasStatus_t, NOT_LOADED, cublasDestroy_v2, (cublasHandle_t handle), (handle))       \
    X(cublasStatus_t, NOT_LOADED, cublasSetStream_v2,                                        \
      (cublasHandle_t handle, cudaStream_t streamId), (handle, streamId))                    \
    X(cublasStatus_t, NOT_LOADED, cublasGetStream_v2,                                        \
      (cublasHandle_t handle, cudaStream_t * streamId), (handle, streamId))                  \
    X(cublasStatus_t, NOT_LOADED, cublasSetPointerMode_v2,                                   \
      (cublasHandle_t handle, cublasPointerMode_t mode), (handle, mode))                     \
    X(cublasStatus_t, NOT_LOADED, cublasGetPointerMode_v2,                                   \
      (cublasHandle_t handle, cublasPointerMode_t * mode), (handle, mode))                   \
    X(cublasStatus_t, NOT_LOADED, cublasSetMathMode, (cublasHandle_t handle, cublasMath_t mode), \
      (handle, mode))                                                                        \
    X(cublasStatus_t, NOT_LOADED, cublasGetMathMode,                                         \
      (cublasHandle_t handle, cublasMath_t * mode), (handle, mode))                          \
    X(const char *, load_error, cublasGetStatusString, (cublasStatus_t status), (status))    \
    X(cublasStatus_t, NOT_LOADED, cublasSgemm_v2,                                            \
      (cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,     \
       int n, int k, const float *alpha, const float *A, int lda, const float *B, int ldb,   \
       const float *beta, float *C, int ldc),                                                \
      (handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc))                \
    X(cublasStatus_t, NOT_LOADED, cublasSgemmStridedBatched,                                 \
      (cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,     \
       int n, int k, const float *alpha, const float *A, int lda, long long int strideA,     \
       const float *B, int ldb, long long int strideB, const float *beta, float *C, int ldc, \
       long long int strideC, int batchCount),                                               \
      (handle, transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C,    \
       ldc, strideC, batchCount))

#define AS_ENUM(ret, fail, name, params, args) FN_##name,
#define AS_NAME(ret, fail, name, params, args) #name,
enum { CUBLAS_FUNCTIONS(AS_ENUM) N_FUNCTIONS };
static const char *const names[N_FUNCTIONS] = {CUBLAS_FUNCTIONS(AS_NAME)};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *functions[N_FUNCTIONS]; /* written once, under load_once */
static char load_error[512] = "cuBLAS could not be loaded";

static void load(void) {
    /* The soname first (the loader's search: RUNPATH, LD_LIBRARY_PATH, ld.so.cache), then the
     * library CMake found, for toolkits outside the loader's paths. */
    const char *files[] = {"libcublas.so." STR(CUBLAS_VER_MAJOR),
#ifdef FRT_CUBLAS_PATH
                           FRT_CUBLAS_PATH,
#endif
    };
    void *lib = NULL;
    const char *why = NULL;
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !lib; i++) {
        lib = dlopen(files[i], RTLD_NOW | RTLD_LOCAL);
        if (!lib && !why) why = dlerror();
    }
    if (!lib) {
        snprintf(load_error, sizeof load_error, "cuBLAS could not be loaded: %s",
                 why ? why : "no library");
        return;
    }
    for (int i = 0; i < N_FUNCTIONS; i++) functions[i] = dlsym(lib, names[i]);
}

/* Each function loads cuBLAS on its first call and forwards to the real one (the pointer
 * is copied out with memcpy: ISO C has no cast from an object pointer to a function one). */
#define AS_FORWARDER(ret, fail, name, params, args)                                          \
    ret name params {                                                                        \
        pthread_once(&load_once, load);                                                      \
        if (!functions[FN_##name]) return fail;                                              \
        ret(*f) params;                                                                      \
        memcpy(&f, &functions[FN_##name], sizeof f);                                         \
        return f args;                                                                       \
    }
CUBLAS_FUNCTIONS(AS_FORWARDER)
