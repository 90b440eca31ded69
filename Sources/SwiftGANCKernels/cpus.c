// _GNU_SOURCE for sched_getaffinity and CPU_COUNT; defined before any header.
#define _GNU_SOURCE 1
#include "SwiftGANCKernels.h"

#if defined(__linux__)
#include <sched.h>

int sg_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}
#else
int sg_available_cpus(void) { return 0; }
#endif
