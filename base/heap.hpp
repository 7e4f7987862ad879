#pragma once
// The heap of a short-lived berth command.

namespace berth {

// Grows the heap in 32 MiB steps and asks for transparent huge pages on it (where THP is
// "madvise" or "always"): a command that builds a few MiB of objects (config of 100 services
// touches ~5 MiB) then takes a handful of 2 MiB faults instead of a thousand 4 KiB ones, and a
// page fault is expensive (~40 us in the VMs berth is measured on). Untouched reserve costs
// nothing; best effort, silently nothing where unsupported.
void use_huge_page_heap();

}  // namespace berth
