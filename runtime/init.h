/* runtime/init.h: fills the process-wide registries (kernels; later devices) once.
 * The registries live in core/ and never fill themselves: every entry point of the library
 * that looks kernels up (loading a model, creating a session, frt_op_has_kernel) calls
 * frt_init first, and so must a program that calls core/ or kernels directly.
 * Thread-safety: thread-safe and idempotent. */
#pragma once

void frt_init(void);
