// heap_probe: malloc's own count of the bytes it has handed out, for kstlib-bench's Swift side
// (glibc's mallinfo2 lives in <malloc.h>, which Swift's Glibc module does not import).
#ifndef HEAP_PROBE_H
#define HEAP_PROBE_H

#include <stddef.h>

/// Bytes handed out by malloc and not freed, over all arenas, mmapped blocks included
/// (mallinfo2: uordblks + hblkhd).
size_t heap_probe_bytes_in_use(void);

#endif
