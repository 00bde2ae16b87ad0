#include "dualwrite/daemon/buffer_release.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dualwrite::daemon {

void return_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace dualwrite::daemon
