#pragma once
// Transparent huge pages for the heap. An index of a million points is hundreds of megabytes of
// malloc'd memory (FAISS's graph and vectors); with 4 KiB pages every one of them is a page fault
// when it is first written (opening a 1M-point int8 collection: 5.2 s, most of it faults on this
// VM) and a TLB miss when a graph walk jumps to it. glibc 2.35+ backs its large allocations with
// 2 MiB pages when the tunable glibc.malloc.hugetlb=1 is set (madvise(MADV_HUGEPAGE)); the same
// open then takes 3.4 s. glibc reads tunables once, at process start, so a program can only turn
// it on for itself by starting again with it in its environment.

namespace latentdb {

// Called first thing in main() for the commands that hold indexes (tools/command_registry.h):
// when the kernel offers transparent huge pages (madvise or always mode) and GLIBC_TUNABLES does
// not already say glibc.malloc.hugetlb, adds it and re-executes
// /proc/self/exe with the same arguments; returns (and the program goes on with 4 KiB pages) when
// the kernel has them off, the tunable is already there (so this runs at most once), the
// environment sets LATENTDB_HUGE_PAGES=0, or exec fails. Before any thread starts: not
// thread-safe (setenv).
void ReexecWithHugePageMalloc(char** argv);

}  // namespace latentdb
